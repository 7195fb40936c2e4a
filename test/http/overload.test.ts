/**
 * Overload: with MAX_STARTS_IN_FLIGHT hand-offs in flight, a further signed and valid event is refused at once
 * (503 overloaded + Retry-After: 1), never queued behind a saturated Temporal; the slot of every hand-off is freed
 * however it ends; only the hand-off takes one. Seed-shaped events, signed as Vesper signs them, through
 * app.callback(); the /metrics text as the admin listener serves it.
 */
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { createAdminServer } from '../../src/admin-server';
import { createApp } from '../../src/api/app';
import type { FindLegacyRun } from '../../src/api/legacy-keys';
import { createApiMetrics } from '../../src/api/metrics';
import type { StartEvent, StartOutcome } from '../../src/api/start-event';
import { DEFAULT_MAX_STARTS_IN_FLIGHT, loadApiConfig } from '../../src/config';
import type { ProcessEventInput, VesperEvent } from '../../src/workflows/contracts';
import { receivedMessage } from '../helpers/events';
import { fakeReceiver } from '../helpers/fake-receiver';
import { loadFixture, nowStamp } from '../helpers/fixtures';
import { signedHeaders, TEST_SECRET } from '../helpers/signed-request';

const PATH = '/webhooks/whatsapp';
const SILENT = pino({ level: 'silent' });
/** Far below the 5 s start timeout an overloaded ack used to wait out; generous for a loaded CI machine. */
const AT_ONCE_MS = 1000;

/** Starts that hold until the test settles them, as Temporal's do while it is saturated. */
function heldStarts() {
  const held: Array<{ input: ProcessEventInput; settle: (outcome: StartOutcome) => void }> = [];
  const start: StartEvent = (input) => new Promise((settle) => held.push({ input, settle }));
  const releaseAll = () => held.splice(0).forEach(({ settle }) => settle('accepted'));
  return { held, start, releaseAll };
}

/** The receiver app with MAX_STARTS_IN_FLIGHT set, and its /metrics served as createReceiver serves it. */
function receiverWith(
  env: Record<string, string>,
  ports: { startEvent: StartEvent; findLegacyRun?: FindLegacyRun },
) {
  const config = loadApiConfig({ WEBHOOK_SECRET: TEST_SECRET, ...env });
  const metrics = createApiMetrics();
  const kept: string[] = [];
  const app = createApp({
    config,
    startEvent: ports.startEvent,
    keepRejected: async ({ reason }) => `r${kept.push(reason)}`,
    findLegacyRun: ports.findLegacyRun ?? (async () => undefined),
    metrics,
    logger: SILENT,
  });
  const admin = createAdminServer(
    { metrics: async () => ({ type: metrics.registry.contentType, body: await metrics.registry.metrics() }) },
    SILENT,
  );
  return {
    config,
    http: request(app.callback()),
    kept,
    metricsText: async () => (await request(admin).get('/metrics')).text,
  };
}

/** A seed-shaped message.received per index, each its own event (own messageId, so own key). */
function message(i: number): VesperEvent {
  return receivedMessage('overload-session', `3EB0A1B2C3D4E5F6${String(i).padStart(4, '0')}`);
}

function post(http: ReturnType<typeof request>, event: VesperEvent | string) {
  const body = typeof event === 'string' ? event : JSON.stringify(event);
  return http.post(PATH).set(signedHeaders(body)).send(body);
}

/** Sends every event at once; resolves once each is in a held start (so all slots are taken). */
async function takeSlots(http: ReturnType<typeof request>, held: unknown[], events: VesperEvent[]) {
  const answers = events.map((event) => post(http, event).then((res) => res));
  await vi.waitFor(() => expect(held).toHaveLength(events.length), { timeout: 10_000 });
  return answers;
}

/** The answer, or a failure naming the wait when there is none within `ms` (a queued request never gets one). */
async function answeredWithin<T>(ms: number, answer: PromiseLike<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: the request waited`)), ms);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The value of an unlabelled series, or of one label set, in Prometheus text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('overload: a bounded number of hand-offs in flight, refused at once past it', () => {
  it('answers copies of an event being handed off with its hand-off: one start, no slot of their own, all 2xx', async () => {
    const { held, start, releaseAll } = heldStarts();
    const { http, metricsText } = receiverWith({ MAX_STARTS_IN_FLIGHT: '1' }, { startEvent: start });
    // a redelivery storm: the same signed body twenty times at once, while its one start is held
    const copies = await takeSlots(http, held, [message(0)]);
    const more = Array.from({ length: 19 }, () => post(http, message(0)).then((res) => res));
    // another event still finds the only slot taken
    expect((await answeredWithin(AT_ONCE_MS, post(http, message(1)))).status).toBe(503);
    releaseAll();
    const answers = await Promise.all([...copies, ...more]);
    expect(answers.map((res) => res.status).sort()).toEqual([...Array(19).fill(200), 202]);
    expect(new Set(answers.map((res) => res.body.workflowId))).toEqual(
      new Set([`message.received:overload-session:${message(0).data.messageId}`]),
    );
    expect(held).toHaveLength(0); // settled: and only the first copy ever reached startEvent (takeSlots saw 1)
    const text = await metricsText();
    expect(sample(text, 'whatsapp_webhook_overload_refusals_total')).toBe(1);
    expect(
      sample(text, 'whatsapp_webhooks_received_total{type="message.received",outcome="duplicate"}'),
    ).toBe(19);
  });

  it('answers a copy 503 when its original hand-off failed, and the next delivery starts afresh', async () => {
    let calls = 0;
    let fail: (err: Error) => void = () => undefined;
    const startEvent: StartEvent = () => {
      calls++;
      return calls === 1 ? new Promise((_, reject) => (fail = reject)) : Promise.resolve('accepted');
    };
    const { http } = receiverWith({}, { startEvent });
    const first = post(http, message(0)).then((res) => res);
    await vi.waitFor(() => expect(calls).toBe(1));
    const copy = post(http, message(0)).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 50));
    fail(new Error('Temporal unavailable'));
    expect([(await first).status, (await copy).status]).toEqual([503, 503]);
    expect(calls).toBe(1);
    expect((await post(http, message(0))).status).toBe(202);
    expect(calls).toBe(2);
  });

  it('takes N slots, refuses the N+1-th at once with 503 + Retry-After: 1 without starting it, counts it, and accepts again once the starts end', async () => {
    const { held, start, releaseAll } = heldStarts();
    const { http, metricsText } = receiverWith({ MAX_STARTS_IN_FLIGHT: '4' }, { startEvent: start });

    const answers = await takeSlots(http, held, [0, 1, 2, 3].map(message));
    expect(sample(await metricsText(), 'whatsapp_webhook_starts_in_flight')).toBe(4);

    const refused = await answeredWithin(AT_ONCE_MS, post(http, message(4)));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({ error: '4 events are being handed off already; retry later' });
    // answered while all four starts are still held: it waited for none of them, and never reached startEvent
    expect(held.map(({ input }) => input.event.data.messageId)).not.toContain(message(4).data.messageId);
    expect(held).toHaveLength(4);

    const refusedText = await metricsText();
    expect(sample(refusedText, 'whatsapp_webhook_overload_refusals_total')).toBe(1);
    expect(sample(refusedText, 'whatsapp_webhook_starts_in_flight')).toBe(4);
    expect(
      sample(refusedText, 'whatsapp_webhooks_received_total{type="message.received",outcome="overloaded"}'),
    ).toBe(1);
    expect(sample(refusedText, 'whatsapp_webhook_ack_seconds_count{outcome="overloaded"}')).toBe(1);

    releaseAll();
    expect((await Promise.all(answers)).map((res) => res.status)).toEqual([202, 202, 202, 202]);
    expect(sample(await metricsText(), 'whatsapp_webhook_starts_in_flight')).toBe(0);

    // Vesper's retry of the refused event, and a new one, are taken now (each held start settled as it arrives)
    const later = [message(4), message(5)].map((event) => post(http, event).then((res) => res));
    await vi.waitFor(() => expect(held).toHaveLength(2));
    releaseAll();
    const retried = await Promise.all(later);
    expect(retried.map((res) => [res.status, res.body.workflowId])).toEqual([
      [202, `message.received:overload-session:${message(4).data.messageId}`],
      [202, `message.received:overload-session:${message(5).data.messageId}`],
    ]);
    const finalText = await metricsText();
    expect(sample(finalText, 'whatsapp_webhook_overload_refusals_total')).toBe(1);
    expect(
      sample(finalText, 'whatsapp_webhooks_received_total{type="message.received",outcome="accepted"}'),
    ).toBe(6);
  });

  it(`holds ${DEFAULT_MAX_STARTS_IN_FLIGHT} hand-offs by default (MAX_STARTS_IN_FLIGHT unset) and refuses the next`, async () => {
    const { held, start, releaseAll } = heldStarts();
    const { http } = fakeReceiver({ startEvent: start });
    const events = Array.from({ length: DEFAULT_MAX_STARTS_IN_FLIGHT + 1 }, (_, i) => message(i));
    const answers = await takeSlots(http, held, events.slice(0, -1));
    const refused = await answeredWithin(AT_ONCE_MS, post(http, events.at(-1) as VesperEvent));
    expect([refused.status, refused.headers['retry-after']]).toEqual([503, '1']);
    expect(held).toHaveLength(DEFAULT_MAX_STARTS_IN_FLIGHT);
    releaseAll();
    expect(new Set((await Promise.all(answers)).map((res) => res.status))).toEqual(new Set([202]));
  });

  it('takes no slot for anything answered before the hand-off: bad signatures, wrong content types, invalid, early and expired events', async () => {
    const { held, start, releaseAll } = heldStarts();
    const { http, kept, metricsText } = receiverWith({ MAX_STARTS_IN_FLIGHT: '1' }, { startEvent: start });
    const answers = await takeSlots(http, held, [message(0)]);

    const body = JSON.stringify(message(1));
    const unsigned = await http.post(PATH).set('content-type', 'application/json').send(body);
    const wrongSecret = await http.post(PATH).set(signedHeaders(body, 'not-the-secret')).send(body);
    const plainText = await http
      .post(PATH)
      .set({ ...signedHeaders(body), 'content-type': 'text/plain' })
      .send(body);
    const invalid = await post(
      http,
      JSON.stringify({ type: 'message.read', timestamp: nowStamp(), data: {} }),
    );
    const early = await post(http, {
      ...loadFixture('message-delivered'),
      timestamp: nowStamp(2 * 3600_000),
    });
    const expired = await post(http, {
      ...loadFixture('session-disconnected'),
      timestamp: nowStamp(-7 * 86_400_000),
    });
    expect([unsigned, wrongSecret, plainText, invalid, early, expired].map((res) => res.status)).toEqual([
      401, 401, 415, 400, 503, 200,
    ]);
    expect(early.headers['retry-after']).toBe('60'); // too_early's own refusal, not the overload's
    expect(expired.body.status).toBe('expired');
    expect(kept).toHaveLength(2); // the invalid and the expired event, kept as ever

    const text = await metricsText();
    expect(sample(text, 'whatsapp_webhook_overload_refusals_total')).toBe(0);
    expect(sample(text, 'whatsapp_webhook_starts_in_flight')).toBe(1);
    // while the one valid event that does need a slot is refused
    expect((await answeredWithin(AT_ONCE_MS, post(http, message(1)))).status).toBe(503);
    expect(sample(await metricsText(), 'whatsapp_webhook_overload_refusals_total')).toBe(1);
    releaseAll();
    expect((await Promise.all(answers))[0]?.status).toBe(202);
  });

  const deadlineExceeded = () =>
    Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4 });
  it.each<[string, number, { startEvent?: StartEvent; findLegacyRun?: FindLegacyRun }]>([
    ['accepted', 202, {}],
    ['duplicate (Temporal had the key)', 200, { startEvent: async () => 'duplicate' }],
    [
      'failed (Temporal unavailable)',
      503,
      {
        startEvent: async () => {
          throw new Error('14 UNAVAILABLE: connection refused');
        },
      },
    ],
    [
      'timed out (TEMPORAL_START_TIMEOUT_MS)',
      503,
      { startEvent: () => new Promise((_, reject) => setTimeout(() => reject(deadlineExceeded()), 100)) },
    ],
    ['duplicate of a legacy run', 200, { findLegacyRun: async () => 'message.received:old-key' }],
    [
      'failed in the legacy look-up',
      503,
      {
        findLegacyRun: async () => {
          throw deadlineExceeded();
        },
      },
    ],
  ])('frees the slot of a hand-off that ended %s', async (_ending, status, first) => {
    const calls: ProcessEventInput[] = [];
    // the first hand-off ends as the case says; every later one is an ordinary start
    const startEvent: StartEvent = async (input) => {
      calls.push(input);
      return calls.length === 1 && first.startEvent ? first.startEvent(input) : 'accepted';
    };
    let lookups = 0;
    const findLegacyRun: FindLegacyRun = async (keys, event) =>
      ++lookups === 1 && first.findLegacyRun ? first.findLegacyRun(keys, event) : undefined;
    const { http, metricsText } = receiverWith(
      { MAX_STARTS_IN_FLIGHT: '1', TEMPORAL_START_TIMEOUT_MS: '100' },
      { startEvent, findLegacyRun },
    );
    // a session event: its legacy key form (type, session, timestamp) is looked up, as during the 0.2 transition
    const ending = await post(http, loadFixture('session-disconnected', 'slot-session'));
    expect(ending.status).toBe(status);
    expect(ending.headers['retry-after']).toBe(status === 503 ? '5' : undefined);
    expect(sample(await metricsText(), 'whatsapp_webhook_starts_in_flight')).toBe(0);
    // with one slot, a leaked one would make this 503 overloaded
    expect((await post(http, message(1))).status).toBe(202);
    expect(sample(await metricsText(), 'whatsapp_webhook_overload_refusals_total')).toBe(0);
  });
});
