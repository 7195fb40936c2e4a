import type http from 'node:http';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import pino from 'pino';
import type { EventWindow } from '../../src/api/event-window';
import { createReceiver } from '../../src/api/receiver';
import { getFreePort } from '../../scripts/lib/managed-process';
import { loadApiConfig, type HttpServerConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import { TEST_SECRET } from './signed-request';
import { autoReplyOff, startPipeline, type Pipeline } from './pipeline';

export interface RunningReceiver {
  /** The webhook URL. */
  url: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The admin listener (/metrics, /readyz): http://127.0.0.1:<port> */
  adminOrigin: string;
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
  /** Default: production's (MAX_STARTS_IN_FLIGHT unset). */
  maxStartsInFlight?: number;
  /** The server's limits; default: production's, as loadApiConfig gives them with no HTTP_* variable set. */
  http?: HttpServerConfig;
  /** Default: production's (6 days back, 1 hour ahead). */
  eventWindow?: EventWindow;
  logger?: Logger;
}

/**
 * The production receiver (createReceiver: real Temporal hand-off, real Redis store, admin listener) on free
 * loopback ports, configured as loadApiConfig gives it with no variable set but the secret, Redis, and what a test
 * overrides.
 */
export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const defaults = loadApiConfig({
    WEBHOOK_SECRET: TEST_SECRET,
    REDIS_URL: redisUrlOf(options.redis),
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: String(await getFreePort()),
    TEMPORAL_TASK_QUEUE: options.taskQueue,
  });
  const receiver = createReceiver({
    config: {
      ...defaults,
      webhookSecrets: options.secrets ?? defaults.webhookSecrets,
      bodyLimitBytes: options.bodyLimitBytes ?? defaults.bodyLimitBytes,
      startTimeoutMs: options.startTimeoutMs ?? defaults.startTimeoutMs,
      maxStartsInFlight: options.maxStartsInFlight ?? defaults.maxStartsInFlight,
      eventWindow: options.eventWindow ?? defaults.eventWindow,
      http: options.http ?? defaults.http,
    },
    client: options.client,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  const { port, adminPort } = await receiver.listen();
  await receiver.redisReady();
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}${defaults.webhookPath}`,
    origin,
    adminOrigin: `http://127.0.0.1:${adminPort}`,
    server: receiver.server,
    close: () => receiver.close(),
  };
}

function redisUrlOf(redis: Redis): string {
  const { host, port } = redis.options;
  return `redis://${host ?? '127.0.0.1'}:${port ?? 6379}`;
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

/** A pipeline with auto-replies off and the real receiver in front of it: what most end-to-end files start. */
export async function startReceiverPipeline(): Promise<{ p: Pipeline; receiver: RunningReceiver }> {
  const p = await startPipeline(autoReplyOff);
  return { p, receiver: await startReceiverFor(p) };
}

/** Closes what startReceiverPipeline started, receiver first; either may be missing if the start failed. */
export async function stopReceiverPipeline(started: { p?: Pipeline; receiver?: RunningReceiver }) {
  await started.receiver?.close();
  await started.p?.close();
}
