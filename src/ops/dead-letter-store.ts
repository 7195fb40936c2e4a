import type { Redis } from 'ioredis';
import type { DeadLetterInput } from '../activities/dead-letters';
import { redisKeys } from '../redis-keys';
import type { VesperEvent } from '../workflows/contracts';

/** A dead letter as the workflow recorded it (see DeadLetterInput), with what the tools add. */
export interface DeadLetter extends DeadLetterInput {
  status: 'open' | 'resolved' | 'discarded';
  eventType: string;
  sessionId: string;
  resolvedAt?: string;
  resolvedByRunId?: string;
  discardedAt?: string;
  discardReason?: string;
}

export interface DeadLetterFilter {
  /** Open only (default), or every dead letter ever recorded. */
  all?: boolean;
  type?: string;
  session?: string;
  /** The step that failed (an activity name, as in the alert). */
  step?: string;
  /** Failed at or after this time. */
  since?: Date;
}

/** Reads the dead letters the workflows record (see README, Redis data model). */
export async function listDeadLetters(redis: Redis, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const index = filter.all ? redisKeys.deadLettersAll : redisKeys.deadLettersOpen;
  const ids = await redis.zrangebyscore(index, filter.since ? filter.since.getTime() : '-inf', '+inf');
  const letters = await Promise.all(ids.map((id) => getDeadLetter(redis, id)));
  return letters.filter(
    (l): l is DeadLetter =>
      !!l &&
      (!filter.type || l.eventType === filter.type) &&
      (!filter.session || l.sessionId === filter.session) &&
      (!filter.step || l.step === filter.step),
  );
}

export async function getDeadLetter(redis: Redis, workflowId: string): Promise<DeadLetter | undefined> {
  const h = await redis.hgetall(redisKeys.deadLetter(workflowId));
  if (!h.workflowId) return undefined;
  let event: VesperEvent = { type: h.eventType ?? '', timestamp: '', data: {} };
  try {
    event = JSON.parse(h.event ?? '') as VesperEvent;
  } catch {
    // an unreadable record keeps the envelope we know
  }
  return {
    workflowId: h.workflowId,
    runId: h.runId ?? '',
    status: h.status === 'resolved' || h.status === 'discarded' ? h.status : 'open',
    eventKey: h.eventKey ?? '',
    eventType: h.eventType ?? '',
    sessionId: h.sessionId ?? '',
    step: h.step ?? '',
    error: h.error ?? '',
    errorType: h.errorType ?? '',
    attempts: Number(h.attempts ?? 0),
    retryState: h.retryState ?? '',
    failedAt: h.failedAt ?? '',
    ...(h.receivedAt ? { receivedAt: h.receivedAt } : {}),
    ...(h.resolvedAt ? { resolvedAt: h.resolvedAt, resolvedByRunId: h.resolvedByRunId ?? '' } : {}),
    ...(h.discardedAt ? { discardedAt: h.discardedAt, discardReason: h.discardReason ?? '' } : {}),
    event,
  };
}
