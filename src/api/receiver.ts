/** The receiver as the entry points run it: the app wired to Temporal and Redis, served with the HTTP limits. */
import type http from 'node:http';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { ApiConfig } from '../config';
import { createAdminServer } from '../admin-server';
import { logConnectionState, type Logger } from '../logger';
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
  /**
   * Resolves once both servers listen and Redis (where unusable events are kept) is connected; until then such an
   * event gets 503 and its sender retries. For orchestration and tests; serving does not wait for it.
   */
  ready(): Promise<void>;
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
  logConnectionState(redis, logger, 'redis', 'unusable events get 503 until it is back');
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
    admin = createAdminServer(
      {
        metrics: async () => ({ type: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        readiness: cachedReadiness(createReadinessCheck(client, config.temporal.namespace, redis)),
      },
      logger,
    );
    admin.listen(config.admin.port, config.admin.host, () =>
      logger.info(
        { url: `http://${config.admin.host}:${config.admin.port}` },
        'admin listening (/metrics, /readyz)',
      ),
    );
  }
  let closing: Promise<void> | undefined;
  const listening = (s: http.Server) =>
    s.listening ? Promise.resolve() : new Promise<void>((resolve) => s.once('listening', () => resolve()));
  return {
    server,
    admin,
    async ready() {
      await Promise.all([
        listening(server),
        admin && listening(admin),
        redis.status === 'ready'
          ? undefined
          : new Promise<void>((resolve) => redis.once('ready', () => resolve())),
      ]);
    },
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
