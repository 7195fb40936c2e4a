import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import { FAILURE_TYPES, type ProcessEventInput } from '../workflows/contracts';
import type { RetentionConfig } from '../config';
import { str } from './messages';
import { redisKeys } from '../redis-keys';
import { bestEffort } from './best-effort';

/**
 * Applies a session event unless one later in the order was applied already, so the result does not depend on
 * arrival order. The order: event time (ms), then, for equal times, `disconnected` after `connected` (Vesper
 * stamps to the second; of two states in one second we keep the one that makes someone look), then event key.
 * The state is kept for the retention after its last change.
 * ARGV: at (ms), status, reason, lastSeen, eventKey, timestamp, retention (s).
 */
const APPLY_SESSION_STATE = `
local at, rank = tonumber(ARGV[1]), (ARGV[2] == 'disconnected') and 1 or 0
local cur = redis.call('HMGET', KEYS[1], 'updatedAtMs', 'status', 'eventKey')
if cur[1] then
  local curAt, curRank, curKey = tonumber(cur[1]), (cur[2] == 'disconnected') and 1 or 0, cur[3] or ''
  if at < curAt or (at == curAt and (rank < curRank or (rank == curRank and ARGV[5] <= curKey))) then return 0 end
end
redis.call('HSET', KEYS[1], 'updatedAtMs', ARGV[1], 'status', ARGV[2], 'reason', ARGV[3], 'lastSeen', ARGV[4], 'eventKey', ARGV[5], 'updatedAt', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return 1`;

/**
 * SET NX of the event (kept for the retention) and its counters in one step, so a retried activity never counts
 * an event twice. ARGV: record, retention (s).
 */
const RECORD_ONCE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('INCR', KEYS[2])
if KEYS[3] then redis.call('INCR', KEYS[3]) end
return 1`;

export interface RecordEventInput extends ProcessEventInput {
  /** `group`: group updates we keep; `unhandled`: a type this version does not know (also counted apart). */
  category: 'group' | 'unhandled';
}

export function createSessionAndEventActivities(redis: Redis, retention: RetentionConfig) {
  const ttl = String(retention.dataSeconds);
  return {
    /** Keeps each session's latest state: connected or disconnected, with reason and lastSeen. */
    async recordSessionState({ event, eventKey }: ProcessEventInput): Promise<{ applied: boolean }> {
      const { sessionId, reason, lastSeen } = event.data;
      if (!sessionId)
        throw ApplicationFailure.nonRetryable(
          `${event.type} lacks data.sessionId`,
          FAILURE_TYPES.invalidEvent,
        );
      const at = Date.parse(event.timestamp);
      const applied = await redis.eval(
        APPLY_SESSION_STATE,
        1,
        redisKeys.session(sessionId),
        String(Number.isFinite(at) ? at : 0),
        event.type === 'session.connected' ? 'connected' : 'disconnected',
        str(reason),
        str(lastSeen),
        eventKey,
        event.timestamp,
        ttl,
      );
      return { applied: applied === 1 };
    },

    /**
     * The session's record (its latest event in the order above), for the session watchdog: undefined when there is
     * none, or when Redis does not answer within a second (the watchdog goes on without it).
     */
    async latestSessionRecord({
      sessionId,
    }: {
      sessionId: string;
    }): Promise<{ status: string; eventKey: string; timestamp: string } | undefined> {
      const record = await bestEffort(redis, (r) =>
        r.hmget(redisKeys.session(sessionId), 'status', 'eventKey', 'updatedAt'),
      );
      const [status, eventKey, timestamp] = record ?? [];
      return status && eventKey && timestamp ? { status, eventKey, timestamp } : undefined;
    },

    /** Keeps an event we do not act on, counting it per type (and unhandled ones in total) once per event key. */
    async recordEvent({ eventKey, event, receivedAt, category }: RecordEventInput): Promise<void> {
      const record = JSON.stringify({ eventKey, receivedAt, category, event });
      const keys = [redisKeys.event(eventKey), redisKeys.eventsByType(event.type)];
      if (category === 'unhandled') keys.push(redisKeys.unhandledEvents);
      await redis.eval(RECORD_ONCE, keys.length, ...keys, record, ttl);
    },
  };
}
