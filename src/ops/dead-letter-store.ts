import type { Redis } from 'ioredis';
import { redisKeys } from '../activities/redis-keys';

export interface DeadLetter {
  workflowId: string;
  runId: string;
  status: 'open' | 'resolved';
  eventKey: string;
  eventType: string;
  sessionId: string;
  step: string;
  error: string;
  errorType: string;
  attempts: number;
  retryState: string;
  failedAt: string;
  resolvedAt?: string;
  resolvedByRunId?: string;
  event: unknown;
}

export interface DeadLetterFilter {
  /** Open only (default), or every dead letter ever recorded. */
  all?: boolean;
  type?: string;
  session?: string;
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
      (!filter.session || l.sessionId === filter.session),
  );
}

export async function getDeadLetter(redis: Redis, workflowId: string): Promise<DeadLetter | undefined> {
  const h = await redis.hgetall(redisKeys.deadLetter(workflowId));
  if (!h.workflowId) return undefined;
  let event: unknown = h.event;
  try {
    event = JSON.parse(h.event ?? 'null');
  } catch {
    // keep the text
  }
  return {
    workflowId: h.workflowId,
    runId: h.runId ?? '',
    status: h.status === 'resolved' ? 'resolved' : 'open',
    eventKey: h.eventKey ?? '',
    eventType: h.eventType ?? '',
    sessionId: h.sessionId ?? '',
    step: h.step ?? '',
    error: h.error ?? '',
    errorType: h.errorType ?? '',
    attempts: Number(h.attempts ?? 0),
    retryState: h.retryState ?? '',
    failedAt: h.failedAt ?? '',
    ...(h.resolvedAt ? { resolvedAt: h.resolvedAt, resolvedByRunId: h.resolvedByRunId ?? '' } : {}),
    event,
  };
}
