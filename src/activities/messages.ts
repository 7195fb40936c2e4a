import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import {
  eventTypeSpec,
  FAILURE_TYPES,
  type MessageStatus,
  type ProcessEventInput,
  type VesperEvent,
} from '../workflows/contracts';
import type { RetentionConfig } from '../config';
import { redisKeys } from '../redis-keys';

/**
 * Applies one status event atomically; returns 0 when this event was applied before. The result does not
 * depend on arrival order: each `<status>At` keeps the earliest evidence, `statusRank` only grows, and
 * `failed` holds until delivery evidence (delivered/read/played) supersedes it.
 * Each write starts the retention of all three keys again.
 * KEYS: message hash, history list, applied-events set. ARGV: eventKey, status, at (epoch s), entry, error,
 * retention (s).
 */
const APPLY_STATUS = `
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[4])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
local status, at = ARGV[2], tonumber(ARGV[3])
local function earliest(field)
  local seen = tonumber(redis.call('HGET', KEYS[1], field))
  if not seen or at < seen then redis.call('HSET', KEYS[1], field, ARGV[3]) end
end
earliest(status .. 'At')
if status == 'failed' then
  redis.call('HSET', KEYS[1], 'error', ARGV[5])
  if tonumber(redis.call('HGET', KEYS[1], 'statusRank') or '0') < 2 then redis.call('HSET', KEYS[1], 'status', 'failed') end
  return 1
end
local ranks = { sent = 1, delivered = 2, read = 3, played = 4 }
local names = { 'sent', 'delivered', 'read', 'played' }
if ranks[status] >= 3 then earliest('deliveredAt') end
if ranks[status] >= 4 then earliest('readAt') end
local best = math.max(tonumber(redis.call('HGET', KEYS[1], 'statusRank') or '0'), ranks[status])
redis.call('HSET', KEYS[1], 'statusRank', best)
local current = redis.call('HGET', KEYS[1], 'status')
if current ~= 'failed' or ranks[status] >= 2 then redis.call('HSET', KEYS[1], 'status', names[best]) end
return 1
`;

/**
 * The message hash and its place in the session's index, both kept for the retention after their last write.
 * The index (scored by WhatsApp's time of the message) forgets messages more than the retention older than the
 * session's newest: a message delivered late with an old time is still listed beside the others.
 * KEYS: hash, index. ARGV: score (epoch s), messageId, retention (s), fields…
 */
const SAVE_MESSAGE = `
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
local newest = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (newest - tonumber(ARGV[3])))
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

export function createMessageActivities(redis: Redis, retention: RetentionConfig) {
  const ttl = String(retention.dataSeconds);
  return {
    /** Stores a received message keyed by session and message ID. An upsert: a retry writes the same fields. */
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
        // WhatsApp's time of the message; `sentAt` is the status script's (first `sent` evidence)
        messageAt: typeof data.timestamp === 'number' ? String(data.timestamp) : '',
        eventTimestamp: event.timestamp,
        receivedAt,
      };
      // one script, not MULTI: ioredis applies its command timeout to single commands only
      await redis.eval(
        SAVE_MESSAGE,
        2,
        redisKeys.message(sessionId, messageId),
        redisKeys.sessionMessages(sessionId),
        String(epochSeconds(event)),
        messageId,
        ttl,
        ...Object.entries(fields).flat(),
      );
    },

    /** Merges a sent/delivered/read/played/failed event into the message's status; appends it to the history once. */
    async updateMessageStatus({ eventKey, event }: ProcessEventInput): Promise<{ applied: boolean }> {
      const { sessionId, messageId } = requireIds(event);
      const status = statusOf(event.type);
      const at = epochSeconds(event);
      const error = str(event.data.error) || str(event.data.reason);
      const entry = JSON.stringify({ status, at, eventKey, ...(error ? { error } : {}) });
      const applied = await redis.eval(
        APPLY_STATUS,
        3,
        redisKeys.message(sessionId, messageId),
        redisKeys.messageHistory(sessionId, messageId),
        redisKeys.messageStatusEvents(sessionId, messageId),
        eventKey,
        status,
        String(at),
        entry,
        error,
        ttl,
      );
      return { applied: applied === 1 };
    },
  };
}

/** The registry's status for a status event type; anything else (`constructor` too) fails before any write. */
function statusOf(type: string): MessageStatus {
  const status = eventTypeSpec(type)?.status;
  if (!status) throw ApplicationFailure.nonRetryable(`${type} carries no status`, FAILURE_TYPES.invalidEvent);
  return status;
}

export function requireIds(event: VesperEvent): { sessionId: string; messageId: string } {
  const { sessionId, messageId } = event.data;
  if (typeof sessionId !== 'string' || !sessionId || typeof messageId !== 'string' || !messageId) {
    throw ApplicationFailure.nonRetryable(
      `${event.type} event lacks data.sessionId or data.messageId`,
      FAILURE_TYPES.invalidEvent,
    );
  }
  return { sessionId, messageId };
}

/** Vesper's own epoch seconds when present, else the envelope's ISO time. */
export function epochSeconds(event: VesperEvent): number {
  if (typeof event.data.timestamp === 'number' && Number.isFinite(event.data.timestamp))
    return event.data.timestamp;
  const ms = Date.parse(event.timestamp);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
