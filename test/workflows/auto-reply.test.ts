/** Auto-replies through a stand-in Vesper API: one per eligible event, even across a lost answer; none otherwise. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { AUTO_REPLY_TEXT, startPipeline, type Pipeline } from '../helpers/pipeline';

const OWN_NUMBER = '905559876543';
let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline(() => ({
    vesper: { apiUrl: 'set by startPipeline', apiKey: 'test-api-key', timeoutMs: 1000 },
    autoReply: { text: AUTO_REPLY_TEXT, cooldownSeconds: 3600, ownNumbers: [OWN_NUMBER] },
  }));
});
afterAll(() => p?.close());

const contact = () => `90555${Math.floor(1e6 + Math.random() * 8e6)}`;
const sendsFor = (session: string) =>
  p.vesper.requests.filter((r) => (r.body as { session?: string }).session === session);

describe('auto-reply', () => {
  it('sends exactly one reply, with the API key, the event key as Idempotency-Key and digits-only "to"', async () => {
    const session = uniqueId('s');
    const number = contact();
    const handle = await p.start(receivedMessage(session, 'M1', `${number}@s.whatsapp.net`));
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    const sends = sendsFor(session);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      method: 'POST',
      path: '/messages/send/text',
      idempotencyKey: handle.workflowId,
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
    expect(new Set(sends.map((s) => s.idempotencyKey))).toEqual(new Set([handle.workflowId]));
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
});
