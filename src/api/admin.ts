import http from 'node:http';
import type { ApiMetrics } from './metrics';
import type { CheckReady } from './readiness';

/**
 * The receiver's admin listener, apart from the public webhook port: GET /metrics (Prometheus) and GET /readyz
 * (200 ready / 503 not, from the cached readiness check), plus /healthz. Loopback unless ADMIN_HOST says otherwise.
 */
export function createAdminServer(deps: { metrics: ApiMetrics; checkReady: CheckReady }): http.Server {
  return http.createServer((req, res) => {
    void answer(req, deps).then(
      ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
      () => res.writeHead(500).end(),
    );
  });
}

async function answer(
  req: http.IncomingMessage,
  deps: { metrics: ApiMetrics; checkReady: CheckReady },
): Promise<{ status: number; type: string; body: string }> {
  const json = (status: number, body: unknown) => ({
    status,
    type: 'application/json',
    body: JSON.stringify(body),
  });
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET') return json(405, { error: 'use GET' });
  if (path === '/metrics') {
    const { registry } = deps.metrics;
    return { status: 200, type: registry.contentType, body: await registry.metrics() };
  }
  if (path === '/readyz') {
    const { ready, checks } = await deps.checkReady();
    return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
  }
  if (path === '/healthz') return json(200, { status: 'ok' });
  return json(404, { error: 'not found' });
}
