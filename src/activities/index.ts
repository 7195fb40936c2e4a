import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import { FAILURE_TYPES, type ProcessEventInput, type VesperEvent } from '../workflows/contracts';
import { redisKeys } from './redis-keys';

export interface ActivityDeps {
  redis: Redis;
}

/** Activities close over injected clients: the worker passes real ones, tests pass their own. */
export function createActivities({ redis }: ActivityDeps) {
  return {
    /** Stores a received message keyed by session and message ID. Idempotent: a retry writes the same fields. */
    async saveMessage({ eventKey, event, receivedAt }: ProcessEventInput): Promise<void> {
      const { sessionId, messageId } = requireIds(event);
      const data = event.data;
      const fields: Record<string, string> = {
        sessionId,
        messageId,
        eventKey,
        from: str(data.from),
        fromName: str(data.fromName),
        to: str(data.to),
        text: str(data.text),
        caption: str(data.caption),
        hasMedia: String(data.hasMedia === true),
        mediaType: str(data.mediaType),
        mediaUrl: str(data.mediaUrl),
        isGroup: String(data.isGroup === true),
        sentAt: typeof data.timestamp === 'number' ? String(data.timestamp) : '',
        eventTimestamp: event.timestamp,
        receivedAt,
      };
      const score =
        typeof data.timestamp === 'number' ? data.timestamp : Date.parse(event.timestamp) / 1000 || 0;
      await redis
        .multi()
        .hset(redisKeys.message(sessionId, messageId), fields)
        .zadd(redisKeys.sessionMessages(sessionId), score, messageId)
        .exec();
    },

    /** Keeps an event this version does not act on, and counts it per type once per event key. */
    async recordEvent({ eventKey, event, receivedAt }: ProcessEventInput): Promise<void> {
      const record = JSON.stringify({ eventKey, receivedAt, event });
      await redis.eval(RECORD_ONCE, 2, redisKeys.event(eventKey), redisKeys.eventsByType(event.type), record);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

// SET NX and the count in one step, so a retried activity never counts an event twice
const RECORD_ONCE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return redis.call('INCR', KEYS[2]) end return 0`;

function requireIds(event: VesperEvent): { sessionId: string; messageId: string } {
  const { sessionId, messageId } = event.data;
  if (typeof sessionId !== 'string' || !sessionId || typeof messageId !== 'string' || !messageId) {
    throw ApplicationFailure.nonRetryable(
      `${event.type} event lacks data.sessionId or data.messageId`,
      FAILURE_TYPES.invalidEvent,
    );
  }
  return { sessionId, messageId };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
