/** Each event type's effects in Redis, on the real dev server with the real activities. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../helpers/fixtures';
import { statusEvent } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { autoReplyOff, startPipeline, type Pipeline } from '../helpers/pipeline';
import { redisKeys } from '../../src/redis-keys';

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

  it('session.connected records the state; session.disconnected records it and alerts once', async () => {
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
    const alerts = p.alerts.requests.filter((r) => JSON.stringify(r.body).includes(session));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.body).toMatchObject({
      text: expect.stringContaining('phone_offline'),
      fields: {
        kind: 'session.disconnected',
        sessionId: session,
        reason: 'phone_offline',
        lastSeen: '2026-03-15T10:31:55Z',
      },
    });

    // an older event arriving late does not overwrite the newer state
    await (await p.start({ ...connected, timestamp: '2026-03-15T09:00:00Z' })).result();
    expect(await p.redis.hget(redisKeys.session(session), 'status')).toBe('disconnected');
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
