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

export function createDeadLetterActivities(redis: Redis) {
  return {
    /** The dead-letter record, one per workflow ID; a later failure of a redriven run overwrites it. */
    async recordDeadLetter(input: DeadLetterInput): Promise<void> {
      const key = redisKeys.deadLetter(input.workflowId);
      const failedAtMs = Date.parse(input.failedAt);
      await redis
        .multi()
        .hset(key, {
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
        })
        .hdel(key, 'resolvedAt', 'resolvedByRunId')
        .zadd(redisKeys.deadLettersOpen, failedAtMs, input.workflowId)
        .zadd(redisKeys.deadLettersAll, failedAtMs, input.workflowId)
        .exec();
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
