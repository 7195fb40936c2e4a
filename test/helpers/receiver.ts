import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createReadinessCheck } from '../../src/api/readiness';
import { createRejectedStore } from '../../src/api/rejected-events';
import { createTemporalStarter } from '../../src/api/start-event';
import { TEST_SECRET } from './signed-request';

export interface RunningReceiver {
  /** The webhook URL. */
  url: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  client: Client;
  redis: Redis;
  taskQueue: string;
  secrets?: string[];
  startTimeoutMs?: number;
  bodyLimitBytes?: number;
}

/** The real receiver (real Temporal hand-off, real Redis store) on a free loopback port. */
export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const app = createApp({
    webhookPath: '/webhooks/whatsapp',
    webhookSecrets: options.secrets ?? [TEST_SECRET],
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    startEvent: createTemporalStarter(options.client, {
      taskQueue: options.taskQueue,
      timeoutMs: options.startTimeoutMs ?? 5000,
    }),
    keepRejected: createRejectedStore(options.redis),
    checkReady: createReadinessCheck(options.client, 'default', options.redis),
    metrics: createApiMetrics(),
    logger: pino({ level: 'silent' }),
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/webhooks/whatsapp`,
    origin,
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
  body: { status?: string; workflowId?: string; error?: string; rejectedId?: string };
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<PostResult> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as PostResult['body'] };
}
