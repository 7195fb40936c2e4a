/**
 * The receiver runtime, assembled once: the app wired to Temporal and Redis, served with the HTTP limits, and the
 * admin listener. The entry point (server.ts), the tests, the bench and the chaos run all build it here.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type Koa from 'koa';
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
import type { ReceiverState } from './webhook';

export interface ReceiverDeps {
  config: ApiConfig;
  /**
   * Any client: a lazy one in the entry point, so the receiver starts (answering 503) while Temporal is down; with
   * EMBEDDED_WORKER, one on the worker's NativeConnection (eager start needs it).
   */
  client: Client;
  logger: Logger;
}

export interface Receiver {
  app: Koa<ReceiverState>;
  server: http.Server;
  /** /metrics and /readyz; undefined when ADMIN_PORT is 0. */
  admin: http.Server | undefined;
  /** Listens on the configured ports; resolves with the ports bound (a configured 0 gets a free one). */
  listen(): Promise<{ port: number; adminPort: number | undefined }>;
  /**
   * Resolves once Redis (where unusable events are kept) is connected; until then such an event gets 503 and its
   * sender retries. For orchestration and tests; serving does not wait for it.
   */
  redisReady(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish, then closes the receiver's Redis connection. */
  close(): Promise<void>;
}

export function createReceiver({ config, client, logger }: ReceiverDeps): Receiver {
  // no offline queue: while Redis is down, keeping a rejected event fails fast (503) instead of hanging
  const redis = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
  });
  logConnectionState(redis, logger, 'redis', 'unusable events get 503 until it is back');
  const metrics = createApiMetrics();
  const app = createApp({
    config,
    startEvent: createTemporalStarter(client, {
      taskQueue: config.temporal.taskQueue,
      timeoutMs: config.startTimeoutMs,
      eager: config.embeddedWorker,
      onStarted: metrics.countStart,
    }),
    keepRejected: createRejectedStore(redis, { retentionSeconds: config.rejectedRetentionSeconds }),
    findLegacyRun: createLegacyRunFinder({
      client,
      redis,
      maxEventAgeSeconds: config.eventWindow.maxAgeSeconds,
      timeoutMs: config.startTimeoutMs,
    }),
    metrics,
    logger,
  });
  const server = createHttpServer(app.callback(), config.http);
  const admin =
    config.admin.port > 0
      ? createAdminServer(
          {
            metrics: async () => ({
              type: metrics.registry.contentType,
              body: await metrics.registry.metrics(),
            }),
            readiness: cachedReadiness(createReadinessCheck(client, config.temporal.namespace, redis)),
          },
          logger,
        )
      : undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    server,
    admin,
    async listen() {
      const port = await listenOn(server, config.port, config.host);
      logger.info({ url: `http://${config.host}:${port}${config.webhookPath}` }, 'receiver listening');
      const adminPort =
        admin &&
        (await listenOn(admin, config.admin.port, config.admin.host).catch((err: unknown) => {
          server.close();
          throw err;
        }));
      if (admin)
        logger.info(
          { url: `http://${config.admin.host}:${adminPort}` },
          'admin listening (/metrics, /readyz)',
        );
      return { port, adminPort };
    },
    redisReady() {
      return redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => redis.once('ready', () => resolve()));
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

/** Resolves with the port bound, or rejects (EADDRINUSE…) so the entry point exits with the reason. */
function listenOn(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
