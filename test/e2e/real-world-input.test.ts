/**
 * What a real Vesper stream sends, through the real receiver, dev server, worker and Redis: Turkish session
 * names and emoji in IDs, a captured body resent with new unsigned headers, three session events in one second,
 * reactions, types named like Object's own properties, IDs holding the key separator.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis-keys';
import { eventKeyOf } from '../../src/api/event-key';
import { encodeKeyPart, sessionStateQuery, type VesperEvent } from '../../src/workflows/contracts';
import { statusEvent } from '../helpers/events';
import { nowStamp } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { until } from '../helpers/wait';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { post, startReceiverFor, type RunningReceiver } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';

let p: Pipeline;
let receiver: RunningReceiver;

beforeAll(async () => {
  p = await startPipeline();
  receiver = await startReceiverFor(p);
});

afterAll(async () => {
  await receiver?.close();
  await p?.close();
});

const stamp = nowStamp;

async function send(event: VesperEvent, headers: Record<string, string> = {}) {
  const body = JSON.stringify(event);
  return post(receiver.url, body, { ...signedHeaders(body), ...headers });
}

const resultOf = (workflowId: string) => p.env.client.workflow.getHandle(workflowId).result();

function received(sessionId: string, messageId: string, from = '905551234567@s.whatsapp.net'): VesperEvent {
  return {
    type: 'message.received',
    timestamp: stamp(),
    data: {
      messageId,
      sessionId,
      from,
      fromName: 'Ayşe Yılmaz',
      text: 'Merhaba 👋',
      timestamp: 1,
      isGroup: false,
    },
  };
}

const alertsFor = (sessionId: string, kind: string) =>
  p.alerts.requests.filter((r) => {
    const fields = (r.body as { fields?: Record<string, string> }).fields;
    return fields?.kind === kind && fields.sessionId === sessionId;
  });

describe('keys from signed bytes only', () => {
  it('a captured body resent with new event-ID headers is one event: one run, one alert', async () => {
    const sessionId = uniqueId('müşteri-destek');
    const event: VesperEvent = {
      type: 'session.disconnected',
      timestamp: stamp(),
      data: { sessionId, reason: 'phone_offline', lastSeen: stamp() },
    };
    const first = await send(event, { 'x-vesper-event-id': 'evt_1' });
    expect(first.status).toBe(202);
    const resent: Array<Record<string, string>> = [
      { 'x-vesper-event-id': 'evt_2' },
      { 'webhook-id': 'msg_3' },
      {},
    ];
    for (const headers of resent) {
      const again = await send(event, headers);
      expect(again).toMatchObject({
        status: 200,
        body: { status: 'duplicate', workflowId: first.body.workflowId },
      });
    }
    await resultOf(first.body.workflowId ?? '');
    // one event reached the session's watchdog, which alerts once its grace is over
    expect((await p.watchdog(sessionId).query(sessionStateQuery)).recentEventKeys).toHaveLength(1);
    await until('the down alert', () => alertsFor(sessionId, 'session.down').length > 0, 15_000);
    expect(alertsFor(sessionId, 'session.down')).toHaveLength(1);
  });

  it('keeps an event older than the dedupe window instead of starting it; one stamped ahead gets 503', async () => {
    const sessionId = uniqueId('s');
    const old = received(sessionId, uniqueId('M'));
    old.timestamp = stamp(-7 * 86_400_000);
    const oldBody = JSON.stringify(old);
    const expired = await send(old);
    expect(expired).toMatchObject({ status: 200, body: { status: 'expired' } });
    expect(expired.body.reason).toMatch(/past the dedupe window/);
    expect(await p.redis.hget(redisKeys.rejectedEvent(expired.body.rejectedId ?? ''), 'body')).toBe(oldBody);

    const early = received(sessionId, uniqueId('M'));
    early.timestamp = stamp(2 * 3_600_000);
    const tooEarly = await send(early);
    expect(tooEarly.status).toBe(503);
    expect(tooEarly.headers.get('retry-after')).toBe('60');
    expect(tooEarly.body.error).toMatch(/ahead of our clock/);
    for (const event of [old, early]) {
      await expect(
        p.env.client.workflow.getHandle(eventKeyOf(event, JSON.stringify(event))).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
  });

  it('finds the run a receiver before 0.2 started under its old key form (a redelivery across the upgrade)', async () => {
    const sessionId = uniqueId('s');
    const startOld = async (event: VesperEvent, oldKey: string) => {
      await p.env.client.workflow.start('processWhatsappEvent', {
        taskQueue: p.worker.options.taskQueue,
        workflowId: oldKey,
        args: [{ eventKey: oldKey, event, receivedAt: new Date().toISOString() }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      await resultOf(oldKey);
    };
    const down: VesperEvent = { type: 'session.disconnected', timestamp: stamp(), data: { sessionId } };
    const downKey = `session.disconnected:${sessionId}:${encodeKeyPart(down.timestamp)}`;
    await startOld(down, downKey);
    expect(await send(down)).toMatchObject({
      status: 200,
      body: { status: 'duplicate', workflowId: downKey },
    });
    expect((await p.watchdog(sessionId).query(sessionStateQuery)).recentEventKeys).toEqual([downKey]);

    // old forms were not unique: a run under the old key for another event does not make this one a duplicate
    const reaction = (emoji: string): VesperEvent => ({
      type: 'message.reaction',
      timestamp: stamp(),
      data: { sessionId, messageId: '3EB0BBBB', reaction: emoji },
    });
    const reactionKey = `message.reaction:${sessionId}:3EB0BBBB`;
    const thumbs = reaction('👍');
    await startOld(thumbs, reactionKey);
    expect(await send(thumbs)).toMatchObject({ status: 200, body: { workflowId: reactionKey } });
    const other = await send(reaction('❤️'));
    expect(other.status).toBe(202);
    expect(other.body.workflowId).not.toBe(reactionKey);
  });
});

describe('Unicode end to end', () => {
  it('replies, stores and dead-letters events whose session and message IDs are Turkish and emoji', async () => {
    const sessionId = uniqueId('müşteri-destek');
    const ok = received(sessionId, '3EB0ÇĞİÖŞÜ😀');
    const res = await send(ok);
    expect(res.status).toBe(202);
    expect(await resultOf(res.body.workflowId ?? '')).toMatchObject({ autoReply: 'sent' });
    const sent = p.vesper.requests.find((r) => (r.body as { session?: string }).session === sessionId);
    expect(sent?.idempotencyKey).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(await p.redis.hget(redisKeys.message(sessionId, '3EB0ÇĞİÖŞÜ😀'), 'text')).toBe('Merhaba 👋');

    p.vesper.replyNext({ status: 400, body: { error: 'invalid recipient' } });
    const refused = await send(received(sessionId, 'İkinci-mesaj', '905551234568@s.whatsapp.net'));
    const workflowId = refused.body.workflowId ?? '';
    await expect(resultOf(workflowId)).rejects.toThrow();
    // its alert group opens with an alert naming it; the key is ASCII whatever the IDs hold
    await until('the dead letter alert', () =>
      p.alerts.requests.some(
        (r) => (r.body as { fields?: { latestWorkflowId?: string } }).fields?.latestWorkflowId === workflowId,
      ),
    );
    const alert = p.alerts.requests.find(
      (r) => (r.body as { fields?: { latestWorkflowId?: string } }).fields?.latestWorkflowId === workflowId,
    );
    expect(alert?.idempotencyKey).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(JSON.stringify(alert?.body)).toContain(workflowId);
  });
});

describe('distinct events, distinct keys', () => {
  it('three session events in one second are three events, settled the same in any arrival order', async () => {
    const at = stamp();
    const events = (sessionId: string) => ({
      down1: { type: 'session.disconnected', timestamp: at, data: { sessionId, reason: 'phone_offline' } },
      up: { type: 'session.connected', timestamp: at, data: { sessionId } },
      down2: { type: 'session.disconnected', timestamp: at, data: { sessionId, reason: 'conflict' } },
    });
    const finalState = async (sessionId: string, order: Array<'down1' | 'up' | 'down2'>) => {
      const e = events(sessionId);
      const answers = [];
      for (const name of order) answers.push(await send(e[name]));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
      await Promise.all(answers.map((a) => resultOf(a.body.workflowId ?? '')));
      const downKeys = [e.down1, e.down2].map((d) => eventKeyOf(d, JSON.stringify(d))).sort();
      return {
        state: await p.redis.hgetall(redisKeys.session(sessionId)),
        watchdog: await p.watchdog(sessionId).query(sessionStateQuery),
        latest: downKeys[1],
      };
    };
    for (const order of [
      ['down1', 'up', 'down2'],
      ['down2', 'down1', 'up'],
      ['up', 'down2', 'down1'],
    ] as const) {
      const { state, watchdog, latest } = await finalState(uniqueId('s'), [...order]);
      // equal times: disconnected outranks connected, then the greater event key wins; the watchdog agrees
      expect(state).toMatchObject({ status: 'disconnected', eventKey: latest });
      expect(watchdog).toMatchObject({ status: 'disconnected', latest: { eventKey: latest }, episodes: 1 });
    }
  });

  it('two reactions to one message are two events; an unknown type without a messageId is accepted', async () => {
    const sessionId = uniqueId('s');
    const reaction = (emoji: string) => ({
      type: 'message.reaction',
      timestamp: stamp(),
      data: { sessionId, messageId: '3EB0AAAA', reaction: emoji },
    });
    const [a, b] = [await send(reaction('👍')), await send(reaction('❤️'))];
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.workflowId).not.toBe(b.body.workflowId);
    const edit = await send({ type: 'message.edited', timestamp: stamp(), data: { sessionId, text: 'new' } });
    expect(edit.status).toBe(202);
    for (const r of [a, b, edit])
      expect(await resultOf(r.body.workflowId ?? '')).toMatchObject({ outcome: 'recorded' });
  });

  it('types named like Object.prototype members are unknown types: recorded, nothing half-applied', async () => {
    const sessionId = uniqueId('s');
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const res = await send({
        type,
        timestamp: stamp(),
        data: { sessionId, messageId: 'M1', status: 'read' },
      });
      expect(res.status, type).toBe(202);
      expect(await resultOf(res.body.workflowId ?? ''), type).toMatchObject({ outcome: 'recorded' });
    }
    expect(await p.redis.exists(redisKeys.messageStatusEvents(sessionId, 'M1'))).toBe(0);
    expect(await p.redis.exists(redisKeys.message(sessionId, 'M1'))).toBe(0);
  });
});

describe('Redis keys from raw IDs', () => {
  it('keeps session a:b + message c apart from session a + message b:c, and `X:history` a message', async () => {
    const base = uniqueId('s');
    const one = await send(received(`${base}:b`, 'c'));
    const two = await send(received(base, 'b:c', '905551234569@s.whatsapp.net'));
    await Promise.all([one, two].map((r) => resultOf(r.body.workflowId ?? '')));
    expect(await p.redis.hget(redisKeys.message(`${base}:b`, 'c'), 'messageId')).toBe('c');
    expect(await p.redis.hget(redisKeys.message(base, 'b:c'), 'messageId')).toBe('b:c');

    const odd = await send(received(base, 'X:history', '905551234570@s.whatsapp.net'));
    const status = await send({ ...statusEvent('delivered', base, 'X', 1_710_495_000), timestamp: stamp() });
    for (const r of [odd, status]) await resultOf(r.body.workflowId ?? '');
    expect(await p.redis.lrange(redisKeys.messageHistory(base, 'X'), 0, -1)).toHaveLength(1);
  });
});

describe('field meaning', () => {
  it("keeps the status script's sentAt apart from the message's own time", async () => {
    const sessionId = uniqueId('s');
    const sent = await send({ ...statusEvent('sent', sessionId, 'M', 1_710_495_100), timestamp: stamp() });
    await resultOf(sent.body.workflowId ?? '');
    const echo = received(sessionId, 'M');
    echo.data.timestamp = 1_710_495_000;
    echo.data.fromMe = true;
    await resultOf((await send(echo)).body.workflowId ?? '');
    expect(await p.redis.hgetall(redisKeys.message(sessionId, 'M'))).toMatchObject({
      sentAt: '1710495100',
      messageAt: '1710495000',
      status: 'sent',
    });
  });
});
