/** The operators' listener of either runtime (never the public webhook port): /metrics, /readyz, /healthz. */
import http from 'node:http';
import type { Logger } from './logger';

export interface AdminRoutes {
  /** Prometheus text and its content type. */
  metrics(): Promise<{ type: string; body: string }>;
  /** GET /readyz: 200 when ready, 503 when not, with the checks; absent: 404. */
  readiness?: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
}

/** GET /healthz answers while the process is up; it does not listen (the caller does). */
export function createAdminServer(routes: AdminRoutes, logger: Logger): http.Server {
  return http.createServer((req, res) => {
    void answer(req, routes).then(
      ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
      (err: unknown) => {
        logger.warn({ reason: (err as Error).message, path: req.url }, 'admin request failed');
        res.writeHead(500).end();
      },
    );
  });
}

async function answer(
  req: http.IncomingMessage,
  routes: AdminRoutes,
): Promise<{ status: number; type: string; body: string }> {
  const json = (status: number, body: unknown) => ({
    status,
    type: 'application/json',
    body: JSON.stringify(body),
  });
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET') return json(405, { error: 'use GET' });
  if (path === '/metrics') return { status: 200, ...(await routes.metrics()) };
  if (path === '/readyz' && routes.readiness) {
    const { ready, checks } = await routes.readiness();
    return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
  }
  if (path === '/healthz') return json(200, { status: 'ok' });
  return json(404, { error: 'not found' });
}
