/** The receiver as the entry points run it: the app wired to Temporal and Redis, served with the HTTP limits. */
import type http from 'node:http';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { ApiConfig } from '../config';
import type { Logger } from '../logger';
import { createApp } from './app';
import { createHttpServer } from './http-server';
import { createLegacyRunFinder } from './legacy-keys';
import { createApiMetrics } from './metrics';
import { createReadinessCheck } from './readiness';
import { createRejectedStore } from './rejected-events';
import { createTemporalStarter } from './start-event';

export interface ReceiverDeps {
  config: ApiConfig;
  client: Client;
  logger: Logger;
}

export interface ListeningReceiver {
  server: http.Server;
  /** Stops accepting, lets in-flight requests finish, then closes the receiver's Redis connection. */
  close(): Promise<void>;
}

export function listenReceiver({ config, client, logger }: ReceiverDeps): ListeningReceiver {
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
    findLegacyRun: createLegacyRunFinder({
      client,
      redis,
      maxEventAgeSeconds: config.eventWindow.maxAgeSeconds,
      timeoutMs: config.startTimeoutMs,
    }),
    eventWindow: config.eventWindow,
    checkReady: createReadinessCheck(client, config.temporal.namespace, redis),
    metrics: createApiMetrics(),
    logger,
  });
  const server = createHttpServer(app.callback(), config.http);
  server.listen(config.port, config.host, () =>
    logger.info({ url: `http://${config.host}:${config.port}${config.webhookPath}` }, 'receiver listening'),
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await redis.quit().catch(() => undefined);
      })();
      return closing;
    },
  };
}
