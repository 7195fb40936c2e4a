/** Auto-replies through a stand-in Vesper API: one per eligible event, even across a lost answer; none otherwise. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiIdempotencyKey } from '../../src/activities/http';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { AUTO_REPLY_TEXT, startPipeline, type Pipeline } from '../helpers/pipeline';

const OWN_NUMBER = '905559876543';
let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline(() => ({
    vesper: { apiUrl: 'set by startPipeline', apiKey: 'test-api-key', timeoutMs: 1000 },
    autoReply: {
      text: AUTO_REPLY_TEXT,
      cooldownSeconds: 3600,
      maxAgeSeconds: 3600,
      ownNumbers: [OWN_NUMBER],
    },
  }));
});
afterAll(() => p?.close());

const contact = () => `90555${Math.floor(1e6 + Math.random() * 8e6)}`;
const sendsFor = (session: string) =>
  p.vesper.requests.filter((r) => (r.body as { session?: string }).session === session);

describe('auto-reply', () => {
  it('sends exactly one reply, with the API key, the event key digest as Idempotency-Key and digits-only "to"', async () => {
    const session = uniqueId('s');
    const number = contact();
    const handle = await p.start(receivedMessage(session, 'M1', `${number}@s.whatsapp.net`));
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    const sends = sendsFor(session);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      method: 'POST',
      path: '/messages/send/text',
      idempotencyKey: asciiIdempotencyKey(handle.workflowId),
      body: { session, to: number, text: AUTO_REPLY_TEXT },
    });
    expect(sends[0]?.headers['x-api-key']).toBe('test-api-key');
  });

  it('sends once when Vesper accepted the first attempt but its answer came too late', async () => {
    const session = uniqueId('s');
    p.vesper.replyNext({ status: 200, body: { messageId: 'OUT1' }, delayMs: 2500 });
    const handle = await p.start(receivedMessage(session, 'M1', `${contact()}@s.whatsapp.net`));
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    const sends = sendsFor(session);
    expect(sends.length).toBeGreaterThanOrEqual(2); // the timed-out attempt and its retry
    expect(new Set(sends.map((s) => s.idempotencyKey))).toEqual(
      new Set([asciiIdempotencyKey(handle.workflowId)]),
    );
    expect(sends.filter((s) => !s.duplicate)).toHaveLength(1); // Vesper sent one message
  });

  it('never replies to groups or to our own messages', async () => {
    const session = uniqueId('s');
    const cases = [
      receivedMessage(session, 'G1', '120363025246125486@g.us'),
      receivedMessage(session, 'G2', `${contact()}@s.whatsapp.net`, { isGroup: true }),
      receivedMessage(session, 'O1', `${OWN_NUMBER}@s.whatsapp.net`),
      receivedMessage(session, 'O2', `${contact()}@s.whatsapp.net`, { fromMe: true }),
    ];
    const outcomes = [];
    for (const event of cases) outcomes.push((await (await p.start(event)).result()).autoReply);
    expect(outcomes).toEqual(['group', 'group', 'own-message', 'own-message']);
    expect(sendsFor(session)).toHaveLength(0);
  });

  it('replies at most once per contact within the cooldown, but to each contact', async () => {
    const session = uniqueId('s');
    const [a, b] = [contact(), contact()];
    const outcomes = [];
    for (const [id, number] of [
      ['M1', a],
      ['M2', a],
      ['M3', b],
    ] as const) {
      outcomes.push(
        (await (await p.start(receivedMessage(session, id, `${number}@s.whatsapp.net`))).result()).autoReply,
      );
    }
    expect(outcomes).toEqual(['sent', 'cooldown', 'sent']);
    expect(sendsFor(session).map((s) => (s.body as { to: string }).to)).toEqual([a, b]);
  });

  it('sends to the phone number of a JID with a device suffix, and never to a LID', async () => {
    const session = uniqueId('s');
    const [number, agent] = [contact(), contact()];
    const outcomes = [];
    for (const [id, from] of [
      ['D1', `${number}:12@s.whatsapp.net`],
      ['D2', `${agent}_1:3@s.whatsapp.net`],
      ['L1', '123456789012345@lid'],
    ] as const) {
      outcomes.push((await (await p.start(receivedMessage(session, id, from))).result()).autoReply);
    }
    expect(outcomes).toEqual(['sent', 'sent', 'not-a-phone-number']);
    const to = sendsFor(session).map((s) => (s.body as { to: string }).to);
    expect(to).toEqual([number, agent]);
  });

  it('treats a 409 (its idempotency key still in flight) as "try again", not as a refusal', async () => {
    const session = uniqueId('s');
    // the first attempt times out at 1 s while Vesper takes 4 s: its retry (~2 s later) finds the key in flight
    p.vesper.replyNext({ status: 200, body: { messageId: 'OUT1' }, delayMs: 4000 });
    const handle = await p.start(receivedMessage(session, 'M1', `${contact()}@s.whatsapp.net`));
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    const sends = sendsFor(session);
    expect(sends.map((s) => s.duplicate && s.effect)).not.toContain(true);
    expect(sends.filter((s) => s.effect)).toHaveLength(1);
    expect(sends.map((s) => s.status)).toContain(409);
  });

  it('gives the contact its cooldown back when the reply failed for good', async () => {
    const session = uniqueId('s');
    const number = contact();
    p.vesper.replyNext({ status: 400, body: { error: 'invalid session' } });
    const refused = await p.start(receivedMessage(session, 'M1', `${number}@s.whatsapp.net`));
    await expect(refused.result()).rejects.toThrow();
    const history = await refused.fetchHistory();
    const localActivities = (history.events ?? []).flatMap((e) => {
      const payload = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return payload
        ? [(JSON.parse(Buffer.from(payload).toString()) as { activity_type: string }).activity_type]
        : [];
    });
    // the refused send itself ran locally (non-retryable: never handed to an ordinary activity)
    expect(localActivities).toEqual(['saveMessage', 'sendAutoReply', 'releaseAutoReplyCooldown']);
    const next = await p.start(receivedMessage(session, 'M2', `${number}@s.whatsapp.net`));
    expect(await next.result()).toMatchObject({ autoReply: 'sent' });
  });
});

describe('auto-reply against an API that ignores Idempotency-Key (Vesper documents none)', () => {
  let q: Pipeline;
  beforeAll(async () => {
    q = await startPipeline(
      () => ({ vesper: { apiUrl: 'set by startPipeline', apiKey: 'k', timeoutMs: 1000 } }),
      { vesperHonoursIdempotencyKey: false },
    );
  });
  afterAll(() => q?.close());

  it('sends a duplicate exactly when an answer is lost: one extra message per lost answer, none otherwise', async () => {
    const session = uniqueId('s');
    q.vesper.replyNext({ status: 200, body: { messageId: 'OUT1' }, delayMs: 1500 });
    const lost = await q.start(receivedMessage(session, 'M1', `${contact()}@s.whatsapp.net`));
    expect(await lost.result()).toMatchObject({ autoReply: 'sent' });
    const kept = await q.start(receivedMessage(session, 'M2', `${contact()}@s.whatsapp.net`));
    expect(await kept.result()).toMatchObject({ autoReply: 'sent' });
    const effects = (id: string) =>
      q.vesper.requests.filter((r) => r.effect && r.idempotencyKey === asciiIdempotencyKey(id));
    expect(effects(lost.workflowId)).toHaveLength(2); // the window: Vesper acted, its answer never came back
    expect(effects(kept.workflowId)).toHaveLength(1);
  });
});
