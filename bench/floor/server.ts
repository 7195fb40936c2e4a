/**
 * The floor: the least an event can cost on this engine. An intake as small as the ceiling (verify the HMAC over
 * the raw body, parse) that starts an empty workflow per event, with our workflow ID, search attributes and input,
 * and answers 200 once the start returned. One process: the worker runs beside the intake on one
 * NativeConnection, so each start asks for eager execution and the first workflow task comes back in the start's
 * answer, never through matching.
 */
import http from 'node:http';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { eventKeyOf } from '../../src/api/event-key';
import { rawJsonBody } from '../../src/api/raw-body';
import { verifySignature } from '../../src/api/signature';
import { createTemporalStarter } from '../../src/api/start-event';
import type { ProcessEventInput, VesperEvent } from '../../src/workflows/contracts';
import { floorDoneKey } from './keys';
import type * as floorWorkflows from './workflow';
import type { FloorSinks } from './workflow';

const TASK_QUEUE = 'bench-floor';
/** Ours' start timeout (TEMPORAL_START_TIMEOUT_MS): the floor has no in-flight bound, so it waits that long. */
const START_TIMEOUT_MS = 5000;
const RETRY_AFTER_SECONDS = '5';
/**
 * The SDK drops the eager request, silently, when no workflow task slot is free at the start: slots for every
 * start that can be in flight (the open loop's backlog included), and few pollers, which hold slots too.
 */
const WORKFLOW_TASK_SLOTS = 512;
const WORKFLOW_TASK_POLLERS = 2;

async function main(): Promise<void> {
  const secret = process.env.WEBHOOK_SECRET ?? '';
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./workflow'),
    maxConcurrentWorkflowTaskExecutions: WORKFLOW_TASK_SLOTS,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: WORKFLOW_TASK_POLLERS },
    sinks: doneInRedis(redis),
  });
  const client = new Client({ connection });
  // ours' hand-off exactly (workflow ID, search attributes, REJECT_DUPLICATE, deadline), for the empty workflow
  const startEvent = createTemporalStarter(client, {
    taskQueue: TASK_QUEUE,
    timeoutMs: START_TIMEOUT_MS,
    eager: true,
    workflowType: 'floorEvent' satisfies keyof typeof floorWorkflows,
  });
  const app = new Koa();
  app.use(rawJsonBody(1024 * 1024));
  app.use(async (ctx) => {
    const raw = ctx.request.body as Buffer;
    try {
      verifySignature(raw, ctx.get('x-vesper-signature') || undefined, [secret]);
    } catch {
      ctx.status = 401;
      return;
    }
    const event = JSON.parse(raw.toString('utf8')) as VesperEvent;
    const input: ProcessEventInput = {
      event,
      eventKey: eventKeyOf(event, raw),
      receivedAt: new Date().toISOString(),
    };
    try {
      await startEvent(input);
    } catch {
      ctx.status = 503;
      ctx.set('Retry-After', RETRY_AFTER_SECONDS);
      return;
    }
    ctx.body = { status: 'ok' };
  });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, app.callback());
  server.listen(Number(process.env.PORT), '127.0.0.1');
  // the SDK ends run() on SIGTERM; the intake and Redis would keep the process alive after it
  await worker.run();
  server.close();
  server.closeAllConnections();
  redis.disconnect();
  await connection.close();
}

/** Sets the event's key in Redis once its workflow ran: the floor's effect, as the benchmark sees it. */
function doneInRedis(redis: Redis): InjectedSinks<FloorSinks> {
  return {
    floor: {
      // not awaited: the SDK holds the task's completion until a sink returns
      completed: {
        fn: (_info, eventKey) => void redis.set(floorDoneKey(eventKey), '1').catch(() => undefined),
      },
    },
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
