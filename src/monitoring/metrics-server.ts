import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger';

/**
 * The worker's GET /metrics: its own registry followed by the Temporal SDK's series, scraped from the SDK's
 * exporter on loopback so Prometheus needs one target per worker. GET /healthz answers while the process is up.
 */
export function startMetricsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  sdkMetricsUrl: string;
  logger: Logger;
}): http.Server {
  const server = http.createServer((req, res) => {
    void respond(req, res).catch((err: unknown) => {
      options.logger.warn({ reason: (err as Error).message }, 'metrics scrape failed');
      res.writeHead(500).end();
    });
  });
  async function respond(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const own = await options.registry.metrics();
    const sdk = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.text())
      .catch(() => '# the Temporal SDK metrics exporter did not answer\n');
    res.writeHead(200, { 'content-type': options.registry.contentType }).end(`${own}\n${sdk}`);
  }
  server.listen(options.port, options.host);
  return server;
}
