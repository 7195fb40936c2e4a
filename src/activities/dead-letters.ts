import type { Redis } from 'ioredis';
import type { VesperEvent } from '../workflows/contracts';
import { redisKeys } from './redis-keys';

export interface DeadLetterInput {
  workflowId: string;
  runId: string;
  eventKey: string;
  event: VesperEvent;
  /** The activity that failed for good. */
  step: string;
  error: string;
  errorType: string;
  attempts: number;
  retryState: string;
  failedAt: string;
}

/** Marks an open dead letter resolved by a later run (a redrive); a no-op when there is none or it is closed. */
const RESOLVE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[2], 'resolvedByRunId', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`;

/** KEYS: record, open index, all index. ARGV: failedAt (ms), workflowId, fields… */
const RECORD = `
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('HDEL', KEYS[1], 'resolvedAt', 'resolvedByRunId')
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return 1`;

export function createDeadLetterActivities(redis: Redis) {
  return {
    /** The dead-letter record, one per workflow ID; a later failure of a redriven run overwrites it. */
    async recordDeadLetter(input: DeadLetterInput): Promise<void> {
      const key = redisKeys.deadLetter(input.workflowId);
      const failedAtMs = Date.parse(input.failedAt);
      // one script, not MULTI: ioredis applies its command timeout to single commands only
      await redis.eval(
        RECORD,
        3,
        key,
        redisKeys.deadLettersOpen,
        redisKeys.deadLettersAll,
        String(failedAtMs),
        input.workflowId,
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
          event: JSON.stringify(input.event),
        }).flat(),
      );
    },

    async resolveDeadLetter({
      workflowId,
      runId,
    }: {
      workflowId: string;
      runId: string;
    }): Promise<{ resolved: boolean }> {
      const resolved = await redis.eval(
        RESOLVE,
        2,
        redisKeys.deadLetter(workflowId),
        redisKeys.deadLettersOpen,
        workflowId,
        new Date().toISOString(),
        runId,
      );
      return { resolved: resolved === 1 };
    },
  };
}
