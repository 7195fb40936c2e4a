import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import type { EventWindow } from '../../src/api/event-window';
import { createHttpServer } from '../../src/api/http-server';
import { createLegacyRunFinder } from '../../src/api/legacy-keys';
import { createApiMetrics } from '../../src/api/metrics';
import { createReadinessCheck } from '../../src/api/readiness';
import { createRejectedStore } from '../../src/api/rejected-events';
import { createTemporalStarter } from '../../src/api/start-event';
import { loadApiConfig, type HttpServerConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import { TEST_SECRET } from './signed-request';

export interface RunningReceiver {
  /** The webhook URL. */
  url: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  server: http.Server;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  client: Client;
  redis: Redis;
  taskQueue: string;
  secrets?: string[];
  startTimeoutMs?: number;
  bodyLimitBytes?: number;
  /** The server's limits; default: production's, as loadApiConfig gives them with no HTTP_* variable set. */
  http?: HttpServerConfig;
  /** Default: production's (6 days back, 1 hour ahead). */
  eventWindow?: EventWindow;
  logger?: Logger;
}

/** The real receiver (real Temporal hand-off, real Redis store) on a free loopback port. */
export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const defaults = loadApiConfig({ WEBHOOK_SECRET: TEST_SECRET });
  const app = createApp({
    webhookPath: '/webhooks/whatsapp',
    webhookSecrets: options.secrets ?? [TEST_SECRET],
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    startEvent: createTemporalStarter(options.client, {
      taskQueue: options.taskQueue,
      timeoutMs: options.startTimeoutMs ?? 5000,
    }),
    keepRejected: createRejectedStore(options.redis),
    findLegacyRun: createLegacyRunFinder({
      client: options.client,
      redis: options.redis,
      maxEventAgeSeconds: defaults.eventWindow.maxAgeSeconds,
      timeoutMs: options.startTimeoutMs ?? 5000,
    }),
    eventWindow: options.eventWindow ?? defaults.eventWindow,
    checkReady: createReadinessCheck(options.client, 'default', options.redis),
    metrics: createApiMetrics(),
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  const server = createHttpServer(app.callback(), options.http ?? defaults.http);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/webhooks/whatsapp`,
    origin,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The real receiver in front of a test pipeline: same client, Redis and task queue as its worker. */
export function startReceiverFor(
  p: { env: { client: Client }; redis: Redis; worker: { options: { taskQueue: string } } },
  options: Omit<ReceiverOptions, 'client' | 'redis' | 'taskQueue'> = {},
): Promise<RunningReceiver> {
  return startReceiver({
    client: p.env.client,
    redis: p.redis,
    taskQueue: p.worker.options.taskQueue,
    ...options,
  });
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: { status?: string; workflowId?: string; error?: string; rejectedId?: string; reason?: string };
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<PostResult> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as PostResult['body'] };
}
