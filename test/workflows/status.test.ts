/** Status events in any order and at once end at the right status, with each event in the history once. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageActivities } from '../../src/activities/messages';
import type { VesperEvent } from '../../src/workflows/contracts';
import { receivedMessage, statusEvent } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { autoReplyOff, startPipeline, type Pipeline } from '../helpers/pipeline';
import { redisKeys } from '../../src/redis-keys';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline(autoReplyOff);
});
afterAll(() => p?.close());

const T = 1710495000;

async function runAll(events: VesperEvent[], concurrently = false): Promise<void> {
  if (concurrently) {
    await Promise.all((await Promise.all(events.map((e) => p.start(e)))).map((h) => h.result()));
    return;
  }
  for (const event of events) await (await p.start(event)).result();
}

async function history(
  redis: Redis,
  session: string,
  id: string,
): Promise<Array<{ status: string; at: number }>> {
  return (await redis.lrange(redisKeys.messageHistory(session, id), 0, -1)).map(
    (e) => JSON.parse(e) as { status: string; at: number },
  );
}

describe('message status merging', () => {
  it('read before delivered ends read, with deliveredAt from the delivered event', async () => {
    const s = uniqueId('s');
    await runAll([statusEvent('read', s, 'M', T + 20), statusEvent('delivered', s, 'M', T + 10)]);
    expect(await p.redis.hgetall(redisKeys.message(s, 'M'))).toMatchObject({
      status: 'read',
      readAt: `${T + 20}`,
      deliveredAt: `${T + 10}`,
    });
    expect((await history(p.redis, s, 'M')).map((h) => h.status)).toEqual(['read', 'delivered']);
  });

  it('read without delivered fills deliveredAt in; a late sent does not regress', async () => {
    const s = uniqueId('s');
    await runAll([statusEvent('read', s, 'M', T + 20), statusEvent('sent', s, 'M', T)]);
    expect(await p.redis.hgetall(redisKeys.message(s, 'M'))).toMatchObject({
      status: 'read',
      deliveredAt: `${T + 20}`,
      sentAt: `${T}`,
    });
  });

  it('sent, delivered, read and played at once end played with every timestamp and a complete history', async () => {
    const s = uniqueId('s');
    const events = [
      statusEvent('played', s, 'M', T + 30),
      statusEvent('delivered', s, 'M', T + 10),
      statusEvent('read', s, 'M', T + 20),
      statusEvent('sent', s, 'M', T),
    ];
    await runAll(events, true);
    expect(await p.redis.hgetall(redisKeys.message(s, 'M'))).toMatchObject({
      status: 'played',
      statusRank: '4',
      sentAt: `${T}`,
      deliveredAt: `${T + 10}`,
      readAt: `${T + 20}`,
      playedAt: `${T + 30}`,
    });
    expect((await history(p.redis, s, 'M')).map((h) => h.status).sort()).toEqual([
      'delivered',
      'played',
      'read',
      'sent',
    ]);
  });

  it('failed is kept with its error, then superseded by delivery evidence; failed after read does not regress', async () => {
    const s = uniqueId('s');
    await runAll([
      statusEvent('sent', s, 'A', T),
      statusEvent('failed', s, 'A', T + 5, { error: 'timeout' }),
    ]);
    expect(await p.redis.hgetall(redisKeys.message(s, 'A'))).toMatchObject({
      status: 'failed',
      error: 'timeout',
    });
    await runAll([statusEvent('delivered', s, 'A', T + 9)]);
    expect(await p.redis.hgetall(redisKeys.message(s, 'A'))).toMatchObject({
      status: 'delivered',
      error: 'timeout',
      failedAt: `${T + 5}`,
    });

    await runAll([
      statusEvent('read', s, 'B', T + 9),
      statusEvent('failed', s, 'B', T + 12, { error: 'late' }),
    ]);
    expect(await p.redis.hget(redisKeys.message(s, 'B'), 'status')).toBe('read');
  });

  it('keeps a status that arrives before its message and merges the message into it', async () => {
    const s = uniqueId('s');
    await runAll([statusEvent('read', s, 'M', T + 20), receivedMessage(s, 'M')]);
    expect(await p.redis.hgetall(redisKeys.message(s, 'M'))).toMatchObject({
      status: 'read',
      text: 'Hello, I need help with my order',
      fromName: 'John Doe',
    });
  });

  it('appends each status event to the history once, even when the activity runs twice', async () => {
    const s = uniqueId('s');
    const event = statusEvent('delivered', s, 'M', T + 10);
    const handle = await p.start(event);
    await handle.result();
    // the same event key applied again (a retried activity, or a run after the dedupe window): no second entry
    const again = await createMessageActivities(p.redis, { dataSeconds: 86_400 }).updateMessageStatus({
      eventKey: handle.workflowId,
      event,
      receivedAt: new Date().toISOString(),
    });
    expect(again).toEqual({ applied: false });
    expect(await history(p.redis, s, 'M')).toHaveLength(1);
  });
});
