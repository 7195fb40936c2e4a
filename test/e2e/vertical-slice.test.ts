/**
 * The plumbing end to end on real components: a signed seed event POSTed over HTTP to the receiver starts a
 * workflow (ID = event key) on the real dev server; a real worker runs it; its activity writes to real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VesperEvent } from '../../src/workflows/contracts';
import { loadFixture } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { post, startReceiverPipeline, stopReceiverPipeline, type RunningReceiver } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import type { Pipeline } from '../helpers/pipeline';
import { nowStamp } from '../helpers/fixtures';
import { redisKeys } from '../../src/redis-keys';

let p: Pipeline;
let receiver: RunningReceiver;

beforeAll(async () => ({ p, receiver } = await startReceiverPipeline()));
afterAll(() => stopReceiverPipeline({ p, receiver }));

function send(event: VesperEvent) {
  const body = JSON.stringify(event);
  return post(receiver.url, body, signedHeaders(body));
}

describe('vertical slice on the real dev server and real Redis', () => {
  it('saves a received message once, in a Completed workflow whose ID is the event key', async () => {
    const session = uniqueId('session');
    const event = loadFixture('message-received', session);

    const first = await send(event);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      status: 'accepted',
      workflowId: `message.received:${session}:3EB0A1B2C3D4E5F6`,
    });
    const workflowId = first.body.workflowId ?? '';

    const handle = p.env.client.workflow.getHandle(workflowId);
    await expect(handle.result()).resolves.toEqual({
      eventKey: workflowId,
      outcome: 'processed',
      autoReply: 'disabled',
    });
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['EventType', 'message.received'],
        ['SessionId', session],
      ]),
    );

    const saved = await p.redis.hgetall(redisKeys.message(session, '3EB0A1B2C3D4E5F6'));
    expect(saved).toMatchObject({
      sessionId: session,
      from: '905551234567@s.whatsapp.net',
      fromName: 'John Doe',
      text: 'Hello, I need help with my order',
      messageAt: '1710495000',
      isGroup: 'false',
      eventKey: workflowId,
    });
    expect(await p.redis.zrange(redisKeys.sessionMessages(session), 0, -1)).toEqual(['3EB0A1B2C3D4E5F6']);

    const again = await send(event);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate', workflowId });
    expect((await handle.describe()).runId).toBe(description.runId);
  });

  it('records an event type this version does not know, counting it once', async () => {
    const type = `vendor.${uniqueId('custom')}`;
    const event = { type, timestamp: nowStamp(), data: { sessionId: uniqueId('s'), note: 'hi' } };
    const first = await send(event);
    expect(first.status).toBe(202);
    const key = first.body.workflowId ?? '';
    await expect(p.env.client.workflow.getHandle(key).result()).resolves.toMatchObject({
      outcome: 'recorded',
    });
    const stored = JSON.parse((await p.redis.get(redisKeys.event(key))) ?? '{}') as {
      category?: string;
      event?: VesperEvent;
    };
    expect(stored).toMatchObject({ category: 'unhandled', event });
    expect(await p.redis.get(redisKeys.eventsByType(type))).toBe('1');
  });
});
