/** Receiver entry point: config, one lazy Temporal client, an HTTP server with timeouts, graceful shutdown. */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { loadApiConfig } from '../config';
import { createLogger } from '../logger';
import { createApp } from './app';
import { createTemporalStarter } from './start-event';

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const logger = createLogger('api', config.logLevel);
  // lazy: the receiver starts (and answers 503) while Temporal is still down, and recovers when it comes back
  const connection = Connection.lazy({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({
    webhookPath: config.webhookPath,
    webhookSecrets: config.webhookSecrets,
    bodyLimitBytes: config.bodyLimitBytes,
    startEvent: createTemporalStarter(client, {
      taskQueue: config.temporal.taskQueue,
      timeoutMs: config.startTimeoutMs,
    }),
    logger,
  });
  const server = http.createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 65_000 },
    app.callback(),
  );
  server.listen(config.port, config.host, () =>
    logger.info({ url: `http://${config.host}:${config.port}${config.webhookPath}` }, 'receiver listening'),
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close(() => void connection.close().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
