/** When each event's effects are visible in Redis: the moment "processed" means for all three systems alike. */
import type { Redis } from 'ioredis';
import type { BenchEvent } from './load';

function probe(redis: Redis, e: BenchEvent) {
  const { type, data } = e.event;
  if (type === 'message.received') return redis.get(`wa:autoreply:${e.eventKey}`).then((v) => v === 'sent');
  if (type.startsWith('message.')) {
    return redis
      .sismember(`wa:msg:${data.sessionId}:${data.messageId}:status-events`, e.eventKey)
      .then((v) => v === 1);
  }
  return redis.hget(`wa:session:${data.sessionId}`, 'eventKey').then((v) => v === e.eventKey);
}

/** Polls until every distinct event has its effect or `timeoutMs` passes; returns ms-since-origin per event key. */
export async function waitForEffects(
  redis: Redis,
  events: BenchEvent[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  const pending = new Map(events.filter((e) => !e.redelivery).map((e) => [e.eventKey, e]));
  const doneAt = new Map<string, number>();
  const deadline = performance.now() + timeoutMs;
  while (pending.size > 0 && performance.now() < deadline) {
    const batch = [...pending.values()].slice(0, 500);
    const seen = await Promise.all(batch.map((e) => probe(redis, e)));
    const now = performance.now();
    batch.forEach((e, i) => {
      if (seen[i]) {
        doneAt.set(e.eventKey, now);
        pending.delete(e.eventKey);
      }
    });
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return doneAt;
}
