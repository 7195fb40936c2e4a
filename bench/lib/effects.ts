/** When each event's effects are visible in Redis: the moment "processed" means for all three systems alike. */
import type { Redis } from 'ioredis';
import { redisKeys } from '../../src/redis-keys';
import type { BenchEvent } from './load';

function probe(redis: Redis, e: BenchEvent) {
  const { type, data } = e.event;
  const sessionId = data.sessionId ?? '';
  if (type === 'message.received')
    return redis.get(redisKeys.autoReply(e.eventKey)).then((v) => v === 'sent');
  if (type.startsWith('message.')) {
    return redis
      .sismember(redisKeys.messageStatusEvents(sessionId, data.messageId ?? ''), e.eventKey)
      .then((v) => v === 1);
  }
  return redis.hget(redisKeys.session(sessionId), 'eventKey').then((v) => v === e.eventKey);
}

/** Whether one event's effects are visible; the chaos run brings its own, stricter one. */
export type EffectProbe = (redis: Redis, e: BenchEvent) => Promise<boolean>;

export interface EffectPolling {
  probe?: EffectProbe;
  /** Pause between batches (default 20 ms). */
  pauseMs?: number;
  /** Stop waiting for an event once this says so (the benchmark: it was refused, so it is the sender's). */
  skip?: (e: BenchEvent) => boolean;
}

/** Polls until every distinct event has its effect or `timeoutMs` passes; returns ms-since-origin per event key. */
export async function waitForEffects(
  redis: Redis,
  events: BenchEvent[],
  timeoutMs: number,
  polling: EffectPolling = {},
): Promise<Map<string, number>> {
  const isDone = polling.probe ?? probe;
  const pending = new Map(events.filter((e) => !e.redelivery).map((e) => [e.eventKey, e]));
  const doneAt = new Map<string, number>();
  const deadline = performance.now() + timeoutMs;
  while (pending.size > 0 && performance.now() < deadline) {
    if (polling.skip) for (const [key, e] of pending) if (polling.skip(e)) pending.delete(key);
    if (pending.size === 0) break;
    const batch = [...pending.values()].slice(0, 500);
    const seen = await Promise.all(batch.map((e) => isDone(redis, e)));
    const now = performance.now();
    batch.forEach((e, i) => {
      if (seen[i]) {
        doneAt.set(e.eventKey, now);
        pending.delete(e.eventKey);
      }
    });
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, polling.pauseMs ?? 20));
  }
  return doneAt;
}
