import type { Redis } from 'ioredis';
import type { RetentionConfig } from '../config';
import type { VesperEvent } from '../workflows/contracts';
import { redisKeys } from '../redis-keys';

export interface DeadLetterInput {
  workflowId: string;
  runId: string;
  eventKey: string;
  event: VesperEvent;
  /** When the receiver accepted the event (a resubmission keeps it). */
  receivedAt?: string;
  /** The activity that failed for good. */
  step: string;
  error: string;
  errorType: string;
  attempts: number;
  retryState: string;
  failedAt: string;
}

/** How a dead letter left the open list: a later run succeeded, or an operator discarded it. */
export type DeadLetterClosing =
  { status: 'resolved'; runId: string } | { status: 'discarded'; reason: string };

/**
 * Closes an open dead letter (resolved by a later run, or discarded); a no-op when there is none or it is closed.
 * A closed letter keeps its event only for the data retention. KEYS: record, open index. ARGV: workflowId,
 * closedAt, retention (s), field, value…
 */
const CLOSE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * KEYS: record, open index, all index. ARGV: failedAt (ms), workflowId, oldest kept (ms), fields…
 * An open letter has no expiry: it leaves by a resolving run or a discard. The all-index forgets letters older
 * than the retention (their records have expired, or are still open and listed by the open index).
 */
const RECORD = `
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('HDEL', KEYS[1], 'resolvedAt', 'resolvedByRunId', 'discardedAt', 'discardReason')
redis.call('PERSIST', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[3])
return 1`;

/** Closes an open dead letter; also what `npm run dlq -- discard` runs. Returns whether it was open. */
export async function closeDeadLetter(
  redis: Redis,
  workflowId: string,
  closing: DeadLetterClosing,
  retention: RetentionConfig,
): Promise<boolean> {
  const closedAt = new Date().toISOString();
  const fields =
    closing.status === 'resolved'
      ? { status: 'resolved', resolvedAt: closedAt, resolvedByRunId: closing.runId }
      : { status: 'discarded', discardedAt: closedAt, discardReason: closing.reason };
  const closed = await redis.eval(
    CLOSE,
    2,
    redisKeys.deadLetter(workflowId),
    redisKeys.deadLettersOpen,
    workflowId,
    closedAt,
    String(retention.dataSeconds),
    ...Object.entries(fields).flat(),
  );
  return closed === 1;
}

export function createDeadLetterActivities(redis: Redis, retention: RetentionConfig) {
  return {
    /** The dead-letter record, one per workflow ID; a later failure of a redriven run overwrites it. */
    async recordDeadLetter(input: DeadLetterInput): Promise<void> {
      const key = redisKeys.deadLetter(input.workflowId);
      const failedAtMs = Date.parse(input.failedAt);
      // one script, not MULTI: ioredis applies its command timeout to single commands only. Retried without a
      // bound whatever the error (see RETRY_POLICIES.deadLetter): the run waits, Running, until it is written.
      await redis.eval(
        RECORD,
        3,
        key,
        redisKeys.deadLettersOpen,
        redisKeys.deadLettersAll,
        String(failedAtMs),
        input.workflowId,
        String(Date.now() - retention.dataSeconds * 1000),
        ...Object.entries({
          status: 'open',
          workflowId: input.workflowId,
          runId: input.runId,
          eventKey: input.eventKey,
          eventType: input.event.type,
          sessionId: input.event.data.sessionId ?? '',
          step: input.step,
          error: input.error,
          errorType: input.errorType,
          attempts: String(input.attempts),
          retryState: input.retryState,
          failedAt: input.failedAt,
          receivedAt: input.receivedAt ?? '',
          event: JSON.stringify(input.event),
        }).flat(),
      );
    },

    /** After a later run of the same event succeeded: its dead letter (if open) is resolved by that run. */
    async resolveDeadLetter({
      workflowId,
      runId,
    }: {
      workflowId: string;
      runId: string;
    }): Promise<{ resolved: boolean }> {
      return { resolved: await closeDeadLetter(redis, workflowId, { status: 'resolved', runId }, retention) };
    },
  };
}
