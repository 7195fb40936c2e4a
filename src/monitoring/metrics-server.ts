import type http from 'node:http';
import type { Registry } from 'prom-client';
import { createAdminServer } from '../admin-server';
import type { Logger } from '../logger';

/**
 * The worker's admin listener: GET /metrics is its own registry followed by the Temporal SDK's series, scraped
 * from the SDK's exporter on loopback so Prometheus needs one target per worker; GET /healthz.
 */
export function startMetricsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  sdkMetricsUrl: string;
  logger: Logger;
}): http.Server {
  const server = createAdminServer(
    {
      async metrics() {
        const own = await options.registry.metrics();
        const sdk = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.text())
          .catch(() => '# the Temporal SDK metrics exporter did not answer\n');
        return { type: options.registry.contentType, body: `${own}\n${sdk}` };
      },
    },
    options.logger,
  );
  server.listen(options.port, options.host);
  return server;
}
