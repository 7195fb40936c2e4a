/** Receiver entry point: config, one lazy Temporal client, Redis, an HTTP server with timeouts, graceful stop. */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { loadApiConfig } from '../config';
import { createLogger } from '../logger';
import { createApp } from './app';
import { createApiMetrics } from './metrics';
import { createReadinessCheck } from './readiness';
import { createRejectedStore } from './rejected-events';
import { createTemporalStarter } from './start-event';

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const logger = createLogger('api', config.logLevel);
  // lazy: the receiver starts (and answers 503) while Temporal is down, and recovers when it comes back
  const connection = Connection.lazy({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // no offline queue: while Redis is down, keeping a rejected event fails fast (503) instead of hanging
  const redis = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
  });
  redis.on('error', (err: Error) => logger.warn({ reason: err.message }, 'redis connection problem'));
  const app = createApp({
    webhookPath: config.webhookPath,
    webhookSecrets: config.webhookSecrets,
    bodyLimitBytes: config.bodyLimitBytes,
    startEvent: createTemporalStarter(client, {
      taskQueue: config.temporal.taskQueue,
      timeoutMs: config.startTimeoutMs,
    }),
    keepRejected: createRejectedStore(redis),
    checkReady: createReadinessCheck(client, config.temporal.namespace, redis),
    metrics: createApiMetrics(),
    logger,
  });
  const server = http.createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 65_000, maxHeaderSize: 16 * 1024 },
    app.callback(),
  );
  server.listen(config.port, config.host, () =>
    logger.info({ url: `http://${config.host}:${config.port}${config.webhookPath}` }, 'receiver listening'),
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close(
      () => void Promise.allSettled([connection.close(), redis.quit()]).then(() => process.exit(0)),
    );
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
