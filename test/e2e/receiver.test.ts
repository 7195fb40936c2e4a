/** The receiver against the real dev server and real Redis: what Vesper sees, and what Temporal ends up with. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { redisKeys } from '../../src/redis-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/api/signature';
import type { VesperEvent } from '../../src/workflows/contracts';
import { loadFixture, nowStamp, type FixtureName } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { post, startReceiverFor, type RunningReceiver } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import { autoReplyOff, startPipeline, type Pipeline } from '../helpers/pipeline';
import { countWorkflows } from '../helpers/workflows';

const NOW = nowStamp();

const SECRETS = ['new-secret', 'old-secret'];

let p: Pipeline;
let receiver: RunningReceiver;

beforeAll(async () => {
  p = await startPipeline(autoReplyOff);
  receiver = await startReceiverFor(p, { secrets: SECRETS, bodyLimitBytes: 64 * 1024 });
});

afterAll(async () => {
  await receiver?.close();
  await p?.close();
});

const json = (event: unknown) => JSON.stringify(event);
const signed = (body: string | Buffer, form: 'bare' | 'prefixed' = 'bare') =>
  signedHeaders(body, SECRETS[0], form);

async function expectNoWorkflow(workflowId: string): Promise<void> {
  await expect(p.env.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );
}

describe('receiver end to end', () => {
  const fixtures: FixtureName[] = [
    'message-received',
    'message-delivered',
    'message-with-media',
    'session-disconnected',
  ];

  it.each(fixtures)('accepts the seed example %s and its workflow completes', async (name) => {
    const body = json(loadFixture(name, uniqueId('s')));
    const res = await post(receiver.url, body, signed(body, name.length % 2 ? 'bare' : 'prefixed'));
    expect(res.status).toBe(202);
    const handle = p.env.client.workflow.getHandle(res.body.workflowId ?? '');
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('accepts both header forms, in either letter case, and every secret of the rotation list', async () => {
    for (const [secret, transform] of [
      ['new-secret', (hex: string) => hex],
      ['old-secret', (hex: string) => `sha256=${hex}`],
      ['old-secret', (hex: string) => `SHA256=${hex.toUpperCase()}`],
    ] as const) {
      const body = json(loadFixture('message-received', uniqueId('s')));
      const headers = {
        'content-type': 'application/json',
        'x-vesper-signature': transform(signBody(body, secret)),
      };
      expect((await post(receiver.url, body, headers)).status).toBe(202);
    }
  });

  it('answers 401 to missing, short, long, non-hex and wrong signatures and to a changed byte; starts nothing', async () => {
    const session = uniqueId('s');
    const body = json(loadFixture('message-received', session));
    const good = signBody(body, 'new-secret');
    const cases: Array<Record<string, string>> = [
      {},
      { 'x-vesper-signature': '' },
      { 'x-vesper-signature': good.slice(0, 40) },
      { 'x-vesper-signature': `${good}ab` },
      { 'x-vesper-signature': `${good.slice(0, 62)}zz` },
      { 'x-vesper-signature': signBody(body, 'not-our-secret') },
    ];
    for (const extra of cases) {
      const res = await post(receiver.url, body, { 'content-type': 'application/json', ...extra });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/signature/);
    }
    const changed = body.replace('Hello', 'Hellp');
    expect((await post(receiver.url, changed, signed(body))).status).toBe(401);
    await expectNoWorkflow(`message.received:${session}:3EB0A1B2C3D4E5F6`);
  });

  it('answers 415 to a non-JSON content type and 413 to a body over the limit', async () => {
    const body = json(loadFixture('message-received', uniqueId('s')));
    const text = await post(receiver.url, body, { ...signed(body), 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const big = json({ type: 'message.received', timestamp: NOW, data: { pad: 'x'.repeat(70 * 1024) } });
    expect((await post(receiver.url, big, signed(big))).status).toBe(413);
  });

  it('answers 400 to signed invalid JSON and to a missing field, and keeps both in Redis', async () => {
    const broken = `{"type":"message.received","data":{"sessionId":"${uniqueId('s')}"`;
    const invalid = await post(receiver.url, broken, signed(broken));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe('body is not valid JSON');
    expect(await p.redis.hgetall(redisKeys.rejectedEvent(invalid.body.rejectedId ?? ''))).toMatchObject({
      reason: 'body is not valid JSON',
      body: broken,
      bodyEncoding: 'utf8',
    });

    const event = loadFixture('message-delivered', uniqueId('s')) as VesperEvent & {
      data: { messageId?: string };
    };
    delete event.data.messageId;
    const body = json(event);
    const missing = await post(receiver.url, body, signed(body));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('data.messageId');
    const kept = await p.redis.hgetall(redisKeys.rejectedEvent(missing.body.rejectedId ?? ''));
    expect(JSON.parse(kept.body ?? '{}')).toEqual(event);
    expect(await p.redis.zscore(redisKeys.rejectedIndex, missing.body.rejectedId ?? '')).not.toBeNull();
  });

  it('answers a repeated event 200 duplicate and keeps exactly one workflow', async () => {
    const body = json(loadFixture('message-received', uniqueId('s')));
    const first = await post(receiver.url, body, signed(body));
    const second = await post(receiver.url, body, signed(body, 'prefixed'));
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(second.body).toEqual({ status: 'duplicate', workflowId: first.body.workflowId });
    expect(await countWorkflows(p.env.client, first.body.workflowId ?? '')).toBe(1);
  });

  it('answers 20 concurrent copies of one event all 2xx, with exactly one workflow', async () => {
    const body = json(loadFixture('message-received', uniqueId('s')));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(receiver.url, body, signed(body))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 202]);
    const ids = new Set(results.map((r) => r.body.workflowId));
    expect(ids.size).toBe(1);
    expect(await countWorkflows(p.env.client, [...ids][0] ?? '')).toBe(1);
  });

  it('starts two workflows for the same messageId in two sessions', async () => {
    const [a, b] = [uniqueId('s'), uniqueId('s')].map((session) =>
      json(loadFixture('message-received', session)),
    );
    const ra = await post(receiver.url, a ?? '', signed(a ?? ''));
    const rb = await post(receiver.url, b ?? '', signed(b ?? ''));
    expect([ra.status, rb.status]).toEqual([202, 202]);
    expect(ra.body.workflowId).not.toBe(rb.body.workflowId);
  });

  it('accepts an unknown event type (a 4xx would be retried forever) and records it', async () => {
    const body = json({
      type: 'group.updated',
      timestamp: NOW,
      data: { groupId: uniqueId('g') },
    });
    const res = await post(receiver.url, body, signed(body));
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toMatch(/^group\.updated:-:[0-9a-f]{32}$/);
    await expect(p.env.client.workflow.getHandle(res.body.workflowId ?? '').result()).resolves.toMatchObject({
      outcome: 'recorded',
    });
  });

  it('ignores unsigned event-ID headers (x-vesper-event-id, webhook-id) when keying', async () => {
    const event = loadFixture('message-received', uniqueId('s'));
    const body = json(event);
    const first = await post(receiver.url, body, { ...signed(body), 'x-vesper-event-id': uniqueId('evt') });
    expect(first.status).toBe(202);
    expect(first.body.workflowId).toBe(`message.received:${event.data.sessionId}:3EB0A1B2C3D4E5F6`);
    const again = await post(receiver.url, body, { ...signed(body), 'webhook-id': uniqueId('evt') });
    expect(again.body).toEqual({ status: 'duplicate', workflowId: first.body.workflowId });
  });

  it('is ready when Temporal answers', async () => {
    const res = await fetch(`${receiver.adminOrigin}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { temporal: 'ok', redis: 'ok' } });
  });
});
