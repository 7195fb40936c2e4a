/** Every event against what Redis holds: saved messages, final statuses and histories, session states. */
import type { Redis } from 'ioredis';
import { lastSessionEvents } from './sessions';
import { redisKeys } from '../../src/redis-keys';
import { effectsVisible } from './drain';
import { finalStatus, type Expectations } from './expectations';

export interface RedisFindings {
  /** Event key → why its effect is missing. */
  missing: Map<string, string>;
  /** Message hashes or index entries beyond the distinct received messages. */
  extraSavedMessages: number;
  /** History entries repeating an event key, or for an event never sent. */
  duplicateHistoryEntries: number;
  messagesChecked: number;
  /** Messages whose final status is not the highest they got. */
  wrongStatuses: string[];
  openDeadLetters: number;
  deadLettersEver: number;
}

export async function checkRedis(redis: Redis, expected: Expectations): Promise<RedisFindings> {
  const missing = new Map<string, string>();
  const visible = await Promise.all(expected.distinct.map((e) => effectsVisible(redis, e, expected)));
  expected.distinct.forEach((e, i) => visible[i] || missing.set(e.eventKey, 'effects not visible in Redis'));

  let duplicateHistoryEntries = 0;
  const wrongStatuses: string[] = [];
  const receivedPerSession = new Map<string, number>();
  for (const m of expected.messages.values()) {
    const hash = await redis.hgetall(redisKeys.message(m.sessionId, m.messageId));
    if (m.received) {
      receivedPerSession.set(m.sessionId, (receivedPerSession.get(m.sessionId) ?? 0) + 1);
      const data = m.received.event.data;
      if (hash.eventKey !== m.received.eventKey || hash.text !== data.text || hash.from !== data.from) {
        missing.set(m.received.eventKey, 'message not saved as received');
      }
    }
    if (m.statuses.length === 0) continue;
    const best = finalStatus(m.statuses);
    if (hash.status !== best?.status || hash.statusRank !== String(best?.rank)) {
      wrongStatuses.push(
        `${m.messageId}: ${hash.status}/${hash.statusRank}, expected ${best?.status}/${best?.rank}`,
      );
    }
    const history = await redis.lrange(redisKeys.messageHistory(m.sessionId, m.messageId), 0, -1);
    const seen = new Map<string, number>();
    for (const entry of history) {
      const key = (JSON.parse(entry) as { eventKey?: string }).eventKey ?? '';
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const s of m.statuses) {
      if (!seen.has(s.eventKey)) missing.set(s.eventKey, 'status not in the message history');
    }
    const sent = new Set(m.statuses.map((s) => s.eventKey));
    for (const [key, n] of seen) duplicateHistoryEntries += sent.has(key) ? n - 1 : n;
  }

  let extraSavedMessages = 0;
  for (const [sessionId, received] of receivedPerSession) {
    const indexed = await redis.zcard(redisKeys.sessionMessages(sessionId));
    const hashes = await countMessageHashes(redis, sessionId);
    const expectedHashes = [...expected.messages.values()].filter((m) => m.sessionId === sessionId).length;
    extraSavedMessages += Math.max(0, indexed - received) + Math.max(0, hashes - expectedHashes);
  }

  for (const e of lastSessionEvents(expected.distinct).values()) {
    const state = await redis.hgetall(redisKeys.session(e.event.data.sessionId ?? ''));
    const status = e.event.type === 'session.connected' ? 'connected' : 'disconnected';
    if (state.eventKey !== e.eventKey || state.status !== status)
      missing.set(e.eventKey, 'session state not recorded');
  }

  return {
    missing,
    extraSavedMessages,
    duplicateHistoryEntries,
    messagesChecked: expected.messages.size,
    wrongStatuses,
    openDeadLetters: await redis.zcard(redisKeys.deadLettersOpen),
    deadLettersEver: await redis.zcard(redisKeys.deadLettersAll),
  };
}

/** Message hashes of a session (not their `:history` lists or `:status-events` sets). */
async function countMessageHashes(redis: Redis, sessionId: string): Promise<number> {
  const prefix = redisKeys.message(sessionId, '');
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    count += keys.filter((k) => !k.slice(prefix.length).includes(':')).length;
  } while (cursor !== '0');
  return count;
}
