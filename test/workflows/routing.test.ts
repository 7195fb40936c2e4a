/** Each event type's effects in Redis, on the real dev server with the real activities. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../helpers/fixtures';
import { statusEvent } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { autoReplyOff, startPipeline, type Pipeline } from '../helpers/pipeline';
import { redisKeys } from '../../src/redis-keys';
import { SEARCH_ATTRIBUTES, sessionStateQuery } from '../../src/workflows/contracts';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline(autoReplyOff);
});
afterAll(() => p?.close());

describe('routing: each event type and its effects', () => {
  it('message.received (with media) saves every field the guide lists', async () => {
    const session = uniqueId('s');
    const event = loadFixture('message-with-media', session);
    const handle = await p.start(event);
    expect(await handle.result()).toMatchObject({ outcome: 'processed', autoReply: 'disabled' });
    expect(await p.redis.hgetall(redisKeys.message(session, '3EB0C1D2E3F4A5B6'))).toMatchObject({
      from: '905551234567@s.whatsapp.net',
      fromName: 'John Doe',
      text: '',
      caption: 'Check this out',
      hasMedia: 'true',
      mediaType: 'image',
      mediaUrl: 'https://api.vespergateway.com/v1/media/abc123',
      isGroup: 'false',
      eventTimestamp: event.timestamp,
    });
    expect(await p.redis.zscore(redisKeys.sessionMessages(session), '3EB0C1D2E3F4A5B6')).toBe(
      String(Date.parse(event.timestamp) / 1000),
    );
  });

  it('message.sent/delivered/read/played/failed update the status', async () => {
    const session = uniqueId('s');
    for (const [status, id] of [
      ['sent', 'M1'],
      ['delivered', 'M2'],
      ['read', 'M3'],
      ['played', 'M4'],
      ['failed', 'M5'],
    ] as const) {
      await (
        await p.start(statusEvent(status, session, id, 1710495000, { error: 'recipient blocked' }))
      ).result();
      expect(await p.redis.hget(redisKeys.message(session, id), 'status')).toBe(status);
      expect(await p.redis.hget(redisKeys.message(session, id), `${status}At`)).toBe('1710495000');
    }
    expect(await p.redis.hget(redisKeys.message(session, 'M5'), 'error')).toBe('recipient blocked');
  });

  it("session events record the state and wake the session's watchdog, which alerts nothing at once", async () => {
    const session = uniqueId('s');
    const connected = {
      type: 'session.connected',
      timestamp: '2026-03-15T10:00:00Z',
      data: { sessionId: session },
    };
    await (await p.start(connected)).result();
    expect(await p.redis.hget(redisKeys.session(session), 'status')).toBe('connected');

    const disconnected = loadFixture('session-disconnected', session);
    await (await p.start(disconnected)).result();
    expect(await p.redis.hgetall(redisKeys.session(session))).toMatchObject({
      status: 'disconnected',
      reason: 'phone_offline',
      lastSeen: '2026-03-15T10:31:55Z',
    });
    // the watchdog holds the outage; no alert before its grace ends (test/workflows/session-watchdog.test.ts)
    const view = await p.watchdog(session).query(sessionStateQuery);
    expect(view).toMatchObject({
      status: 'disconnected',
      episode: { reason: 'phone_offline', lastSeen: '2026-03-15T10:31:55Z' },
    });
    expect(p.alerts.requests.filter((r) => JSON.stringify(r.body).includes(session))).toEqual([]);
    const { typedSearchAttributes } = await p.watchdog(session).describe();
    expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.sessionId)).toBe(session);
    expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.sessionStatus)).toBe('disconnected');

    // an older event arriving late does not overwrite the newer state, in Redis or in the watchdog
    await (await p.start({ ...connected, timestamp: '2026-03-15T09:00:00Z' })).result();
    expect(await p.redis.hget(redisKeys.session(session), 'status')).toBe('disconnected');
    expect(await p.watchdog(session).query(sessionStateQuery)).toMatchObject({
      status: 'disconnected',
      stale: 1,
    });
    // a connect newer than the drop ends the outage
    await (await p.start({ ...connected, timestamp: new Date().toISOString() })).result();
    expect(await p.watchdog(session).result()).toMatchObject({
      status: 'connected',
      lastRecovery: { by: 'webhook' },
    });
  });

  it('group.* is recorded and counted; an unknown type is recorded as unhandled', async () => {
    const group = {
      type: 'group.updated',
      timestamp: '2026-03-15T10:40:00Z',
      data: { groupId: uniqueId('g') },
    };
    const groupRun = await p.start(group);
    expect(await groupRun.result()).toMatchObject({ outcome: 'recorded' });
    expect(JSON.parse((await p.redis.get(redisKeys.event(groupRun.workflowId))) ?? '{}')).toMatchObject({
      category: 'group',
    });

    const before = Number((await p.redis.get(redisKeys.unhandledEvents)) ?? 0);
    const odd = await p.start({ type: uniqueId('call.offer'), timestamp: '2026-03-15T10:41:00Z', data: {} });
    await odd.result();
    expect(JSON.parse((await p.redis.get(redisKeys.event(odd.workflowId))) ?? '{}')).toMatchObject({
      category: 'unhandled',
    });
    expect(Number(await p.redis.get(redisKeys.unhandledEvents))).toBe(before + 1);
  });
});
