/** The receiver as the entry points run it: the app wired to Temporal and Redis, served with the HTTP limits. */
import type http from 'node:http';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { ApiConfig } from '../config';
import type { Logger } from '../logger';
import { createAdminServer } from './admin';
import { createApp } from './app';
import { createHttpServer } from './http-server';
import { createLegacyRunFinder } from './legacy-keys';
import { createApiMetrics } from './metrics';
import { cachedReadiness, createReadinessCheck } from './readiness';
import { createRejectedStore } from './rejected-events';
import { createTemporalStarter } from './start-event';

export interface ReceiverDeps {
  config: ApiConfig;
  client: Client;
  logger: Logger;
}

export interface ListeningReceiver {
  server: http.Server;
  /** /metrics and /readyz; undefined when ADMIN_PORT is 0. */
  admin: http.Server | undefined;
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
  const metrics = createApiMetrics();
  const app = createApp({
    webhookPath: config.webhookPath,
    webhookSecrets: config.webhookSecrets,
    bodyLimitBytes: config.bodyLimitBytes,
    startEvent: createTemporalStarter(client, {
      taskQueue: config.temporal.taskQueue,
      timeoutMs: config.startTimeoutMs,
    }),
    keepRejected: createRejectedStore(redis, { retentionSeconds: config.rejectedRetentionSeconds }),
    findLegacyRun: createLegacyRunFinder({
      client,
      redis,
      maxEventAgeSeconds: config.eventWindow.maxAgeSeconds,
      timeoutMs: config.startTimeoutMs,
    }),
    eventWindow: config.eventWindow,
    metrics,
    logger,
  });
  const server = createHttpServer(app.callback(), config.http);
  server.listen(config.port, config.host, () =>
    logger.info({ url: `http://${config.host}:${config.port}${config.webhookPath}` }, 'receiver listening'),
  );
  let admin: http.Server | undefined;
  if (config.admin.port > 0) {
    admin = createAdminServer({
      metrics,
      checkReady: cachedReadiness(createReadinessCheck(client, config.temporal.namespace, redis)),
    });
    admin.listen(config.admin.port, config.admin.host, () =>
      logger.info(
        { url: `http://${config.admin.host}:${config.admin.port}` },
        'admin listening (/metrics, /readyz)',
      ),
    );
  }
  let closing: Promise<void> | undefined;
  return {
    server,
    admin,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        admin?.close();
        admin?.closeAllConnections();
        await closed;
        await redis.quit().catch(() => undefined);
      })();
      return closing;
    },
  };
}
