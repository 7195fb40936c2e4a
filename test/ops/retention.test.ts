/**
 * `npm run retention`: keys holding personal data written without an expiry (by 0.2, before retention existed)
 * are found and, with `apply`, given their retention; open dead letters are kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis-keys';
import { npmRun } from '../helpers/cli';
import { uniqueId } from '../helpers/ids';
import { connectToRedis } from '../helpers/temporal';

const DAY = 86_400;
const redis = connectToRedis();
const session = uniqueId('old-session');
const rejected = uniqueId('rejected');
const keys = {
  message: redisKeys.message(session, 'M1'),
  history: redisKeys.messageHistory(session, 'M1'),
  state: redisKeys.session(session),
  event: redisKeys.event(`group.updated:${session}:abc`),
  rejected: redisKeys.rejectedEvent(rejected),
  resolvedLetter: redisKeys.deadLetter(`message.received:${session}:M2`),
  openLetter: redisKeys.deadLetter(`message.received:${session}:M3`),
  // the 0.1 layout, never migrated
  oldMessage: `wa:msg:${session}:M0`,
  oldOpenLetter: `wa:dlq:message.received:${session}:M9`,
};

beforeAll(async () => {
  // as a 0.2 worker and receiver left them: no expiry anywhere
  await redis.hset(keys.message, { text: 'Merhaba', from: '905551234567@s.whatsapp.net' });
  await redis.rpush(keys.history, '{"status":"read"}');
  await redis.hset(keys.state, { status: 'connected' });
  await redis.set(keys.event, '{}');
  await redis.hset(keys.rejected, { body: '{"text":"my number is 905551234567"}' });
  await redis.hset(keys.resolvedLetter, { status: 'resolved', workflowId: 'x' });
  await redis.hset(keys.openLetter, { status: 'open', workflowId: 'y' });
  await redis.hset(keys.oldMessage, { text: 'eski mesaj' });
  await redis.hset(keys.oldOpenLetter, { status: 'open', workflowId: 'z' });
});
afterAll(async () => {
  await redis.del(...Object.values(keys));
  await redis.quit();
});

describe('npm run retention', () => {
  it('reports keys without expiry, and apply gives each its retention; open dead letters stay', async () => {
    const report = await npmRun('retention', ['--json']);
    expect(report.code, report.stderr).toBe(0);
    const counts = JSON.parse(report.stdout) as Array<{ kind: string; withoutExpiry: number }>;
    for (const kind of [
      'session data (messages, histories, states)',
      'rejected bodies',
      'closed dead letters',
    ])
      expect(counts.find((c) => c.kind === kind)?.withoutExpiry).toBeGreaterThanOrEqual(1);
    expect(await redis.ttl(keys.message)).toBe(-1); // a report changes nothing

    const applied = await npmRun('retention', ['apply']);
    expect(applied.code, applied.stderr).toBe(0);
    for (const key of [
      keys.message,
      keys.history,
      keys.state,
      keys.event,
      keys.resolvedLetter,
      keys.oldMessage,
    ]) {
      const ttl = await redis.ttl(key);
      expect({ key, ok: ttl > 30 * DAY - 60 && ttl <= 30 * DAY }).toEqual({ key, ok: true });
    }
    const rejectedTtl = await redis.ttl(keys.rejected);
    expect(rejectedTtl).toBeGreaterThan(7 * DAY - 60);
    expect(rejectedTtl).toBeLessThanOrEqual(7 * DAY);
    expect(await redis.ttl(keys.openLetter)).toBe(-1);
    expect(await redis.ttl(keys.oldOpenLetter)).toBe(-1);
    // the indexes of 0.1 (wa:dlq:open, wa:dlq:all) are sorted sets, not letters: left alone
    expect(await redis.ttl('wa:dlq:open')).toBeLessThan(0);
  });
});
