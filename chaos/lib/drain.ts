/**
 * After the load: wait (bounded) until every event's effects are visible in Redis and no event's workflow is
 * Running. Nothing is redriven: outages are waited out by the retry policies, so a dead letter is a failure.
 */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { waitForEffects } from '../../bench/lib/effects';
import type { BenchEvent } from '../../bench/lib/load';
import { laterInSessionOrder, sessionOrder } from './sessions';
import { redisKeys } from '../../src/redis-keys';
import type { Expectations } from './expectations';
import { sleep } from './rng';

export interface DrainResult {
  drainMs: number;
  timedOut: boolean;
}

/** The event workflows (an alert group's workflow may rightly stay open for its quiet window). */
export const EVENT_WORKFLOWS = 'WorkflowType="processWhatsappEvent"';

/**
 * All of an event's effects in Redis: the saved message and, when due, the reply's marker; the status; the
 * session record, at this event or a later one in its order (the flapping session has several events; the
 * watchdogs' alerts are checked at the alert stand-in, sessions.ts).
 */
export async function effectsVisible(redis: Redis, e: BenchEvent, expected: Expectations): Promise<boolean> {
  const { type, data } = e.event;
  const sessionId = data.sessionId ?? '';
  const messageId = data.messageId ?? '';
  if (type === 'message.received') {
    const saved = (await redis.hget(redisKeys.message(sessionId, messageId), 'eventKey')) === e.eventKey;
    if (!saved || !expected.replies.has(e.eventKey)) return saved;
    return (await redis.get(redisKeys.autoReply(e.eventKey))) === 'sent';
  }
  if (type.startsWith('message.')) {
    return (await redis.sismember(redisKeys.messageStatusEvents(sessionId, messageId), e.eventKey)) === 1;
  }
  const [updatedAtMs, status, eventKey] = await redis.hmget(
    redisKeys.session(sessionId),
    'updatedAtMs',
    'status',
    'eventKey',
  );
  if (updatedAtMs === null) return false;
  const recorded: [number, number, string] = [
    Number(updatedAtMs),
    status === 'disconnected' ? 1 : 0,
    eventKey ?? '',
  ];
  return eventKey === e.eventKey || laterInSessionOrder(recorded, sessionOrder(e));
}

export function countRunning(client: Client): Promise<number> {
  return client.workflow.count(`${EVENT_WORKFLOWS} AND ExecutionStatus="Running"`).then((r) => r.count);
}

/** A few running workflows and what they wait for, e.g. `<id> (sendAutoReply attempt 2)`. */
async function runningExamples(client: Client): Promise<string[]> {
  const examples: string[] = [];
  for await (const execution of client.workflow.list({
    query: `${EVENT_WORKFLOWS} AND ExecutionStatus="Running"`,
    pageSize: 3,
  })) {
    const { raw } = await client.workflow.getHandle(execution.workflowId).describe();
    const pending =
      raw.pendingActivities?.map(
        (a) => `${a.activityType?.name} attempt ${a.attempt} since ${timeOf(a.lastStartedTime?.seconds)}`,
      ) ?? [];
    examples.push(`${execution.workflowId} (${pending.join(', ') || 'no pending activity'})`);
    if (examples.length >= 3) break;
  }
  return examples;
}

function timeOf(seconds: { toString(): string } | null | undefined): string {
  return seconds ? new Date(Number(seconds.toString()) * 1000).toISOString().slice(11, 19) : '-';
}

export async function drain(deps: {
  redis: Redis;
  client: Client;
  expected: Expectations;
  timeoutMs: number;
  log: (line: string) => void;
}): Promise<DrainResult> {
  const { redis, client, expected, log } = deps;
  const started = performance.now();
  const deadline = started + deps.timeoutMs;
  let pending = expected.distinct;
  let idleRounds = 0;
  let lastReport = 0;
  for (;;) {
    const round = Math.max(1000, Math.min(10_000, deadline - performance.now()));
    const done = await waitForEffects(redis, pending, round, {
      probe: (r, e) => effectsVisible(r, e, expected),
      pauseMs: 250,
    });
    pending = pending.filter((e) => !done.has(e.eventKey));
    const running = await countRunning(client);
    if (pending.length === 0 && running === 0) break;
    if (performance.now() > deadline) {
      log(`drain: timed out with ${pending.length} events' effects missing and ${running} workflows running`);
      return { drainMs: performance.now() - started, timedOut: true };
    }
    if (performance.now() - lastReport > 30_000) {
      const examples = running > 0 ? `: ${(await runningExamples(client)).join(', ')}` : '';
      log(`drain: ${pending.length} events' effects still missing, ${running} workflows running${examples}`);
      lastReport = performance.now();
    }
    if (running > 0) {
      idleRounds = 0;
      if (pending.length === 0) await sleep(1000);
      continue;
    }
    // nothing runs, yet effects are missing: effects that will never come (dead letters, or lost)
    if (++idleRounds >= 3) break;
  }
  return { drainMs: performance.now() - started, timedOut: false };
}
