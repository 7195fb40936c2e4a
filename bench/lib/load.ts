/** The load: signed, seed-shaped events in the mix 60 % messages, 30 % statuses, 10 % sessions, 1 % redeliveries. */
import { createHmac } from 'node:crypto';
import { eventKeyOf } from '../../src/api/event-key';
import type { VesperEvent } from '../../src/workflows/contracts';

export interface BenchEvent {
  event: VesperEvent;
  body: string;
  signature: string;
  eventKey: string;
  /** A redelivery of an earlier event: it must not produce a second effect. */
  redelivery: boolean;
}

/** Messages the auto-reply rules must leave unanswered (the chaos run checks them); the benchmark uses none. */
export interface EventMix {
  /** Every n-th received message comes from a group (`isGroup`, a `@g.us` sender). */
  groupEvery?: number;
  /** Every n-th received message (not already a group one) is our own (`fromMe`). */
  ownEvery?: number;
}

/** When the events happened: the first one's time, and the gap between two (Vesper stamps events as they happen). */
export interface EventTiming {
  startMs?: number;
  spacingMs?: number;
}

/**
 * By default the events are spread over the ten minutes (at most a second apart) before now: live events, inside
 * the receiver's acceptance window and young enough to be answered (AUTO_REPLY_MAX_AGE_SECONDS). A load sent at a
 * known rate passes its own timing, so that each event is stamped when it is sent.
 */
export function makeEvents(
  count: number,
  secret: string,
  runId: string,
  mix: EventMix = {},
  timing: EventTiming = {},
): BenchEvent[] {
  const events: BenchEvent[] = [];
  const messages: string[] = [];
  const statusesSent: Record<string, number> = {};
  const spacingMs = timing.spacingMs ?? Math.min(1000, 600_000 / count);
  const startMs = timing.startMs ?? Date.now() - count * spacingMs;
  for (let i = 0; i < count; i++) {
    const earlier = events[Math.floor(i / 2)];
    if (i % 100 === 99 && earlier) {
      events.push({ ...earlier, redelivery: true });
      continue;
    }
    const roll = i % 10;
    const session = `bench-${runId}`;
    let event: VesperEvent;
    const at = new Date(Math.floor(startMs + i * spacingMs));
    const ts = Math.floor(at.getTime() / 1000);
    if (roll < 6 || messages.length === 0) {
      const messageId = `M${runId}${i}`;
      messages.push(messageId);
      const group = !!mix.groupEvery && messages.length % mix.groupEvery === 0;
      const own = !group && !!mix.ownEvery && messages.length % mix.ownEvery === 0;
      event = {
        type: 'message.received',
        timestamp: at.toISOString(),
        data: {
          messageId,
          sessionId: session,
          from: group
            ? `120363${String(1_000_000 + i).slice(-7)}@g.us`
            : `90555${String(1_000_000 + i).slice(-7)}@s.whatsapp.net`,
          fromName: 'Bench User',
          to: '905559876543@s.whatsapp.net',
          text: 'Hello, I need help with my order',
          timestamp: ts,
          isGroup: group,
          hasMedia: false,
          ...(own && { fromMe: true }),
        },
      };
    } else if (roll < 9) {
      const status = ['sent', 'delivered', 'read'][roll - 6] ?? 'delivered';
      // each (status, message) pair once: a repeated pair would share an event key, i.e. be a redelivery
      const messageId = messages[statusesSent[status] ?? 0] ?? 'M';
      statusesSent[status] = (statusesSent[status] ?? 0) + 1;
      event = {
        type: `message.${status}`,
        timestamp: at.toISOString(),
        data: { messageId, sessionId: session, to: '905551234567@s.whatsapp.net', status, timestamp: ts },
      };
    } else {
      event = {
        type: i % 20 === 9 ? 'session.connected' : 'session.disconnected',
        timestamp: at.toISOString(),
        data: {
          sessionId: `${session}-s${i}`,
          reason: 'phone_offline',
          lastSeen: at.toISOString(),
        },
      };
    }
    events.push(signedEvent(event, secret));
  }
  return events;
}

/** An event as Vesper sends it: its body, signed with `secret`, and its key. */
export function signedEvent(event: VesperEvent, secret: string): BenchEvent {
  const body = JSON.stringify(event);
  return {
    event,
    body,
    signature: createHmac('sha256', secret).update(body).digest('hex'),
    eventKey: eventKeyOf(event, body),
    redelivery: false,
  };
}

export interface AckResult {
  sentAt: number;
  ackMs: number;
  /** 0: no answer (connection refused, reset). */
  status: number;
  /** The answer's Retry-After header, if it had one. */
  retryAfter?: string;
}

async function send(url: string, e: BenchEvent): Promise<AckResult> {
  const sentAt = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vesper-signature': e.signature },
      body: e.body,
    });
    await res.arrayBuffer();
    const retryAfter = res.headers.get('retry-after') ?? undefined;
    return {
      sentAt,
      ackMs: performance.now() - sentAt,
      status: res.status,
      ...(retryAfter && { retryAfter }),
    };
  } catch {
    return { sentAt, ackMs: performance.now() - sentAt, status: 0 };
  }
}

/**
 * Closed loop: `concurrency` senders, each delivering its next event as soon as the last one is delivered; a
 * refusal is retried after its Retry-After as Vesper would (see deliver), not answered by sending the next event
 * at once, which would turn a refusal into a storm of them.
 */
export async function closedLoop(
  url: string,
  events: BenchEvent[],
  concurrency: number,
): Promise<AckResult[][]> {
  const results: AckResult[][] = new Array(events.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < events.length; i = next++)
        results[i] = await deliver(url, events[i] as BenchEvent);
    }),
  );
  return results;
}

/**
 * How the benchmark's sender retries a refused delivery (Vesper documents no schedule; this is a sender that
 * honours Retry-After): after the answer's Retry-After in seconds, 1 s without one, at most 5 s; an event is
 * given up after 30 attempts or 90 s.
 */
export const VESPER_RETRIES = {
  defaultWaitMs: 1000,
  maxWaitMs: 5000,
  maxAttempts: 30,
  giveUpMs: 90_000,
};

/** An answer Vesper retries: 503 or 429, or no answer at all. */
export function isRefusal(ack: AckResult): boolean {
  return ack.status === 503 || ack.status === 429 || ack.status === 0;
}

/** The wait Retry-After asks for (seconds only: the receivers send no dates), bounded like Vesper's. */
function retryWaitMs(ack: AckResult): number {
  const seconds = Number(ack.retryAfter);
  const asked = ack.retryAfter !== undefined && seconds >= 0 ? seconds * 1000 : VESPER_RETRIES.defaultWaitMs;
  return Math.min(asked, VESPER_RETRIES.maxWaitMs);
}

/** One event's delivery: sent, and resent after each refusal until an answer ends it or the bound does. */
async function deliver(url: string, e: BenchEvent): Promise<AckResult[]> {
  const attempts: AckResult[] = [];
  for (;;) {
    const ack = await send(url, e);
    attempts.push(ack);
    const wait = retryWaitMs(ack);
    const first = attempts[0]?.sentAt ?? ack.sentAt;
    const givenUp =
      attempts.length >= VESPER_RETRIES.maxAttempts ||
      performance.now() + wait - first > VESPER_RETRIES.giveUpMs;
    if (!isRefusal(ack) || givenUp) return attempts;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * Open loop: one new event every 1/rate seconds whatever the answers, each retried like Vesper retries it;
 * bounded by the events given. Returns every attempt per event, the last one the answer that ended it.
 */
export async function openLoop(
  url: string,
  events: BenchEvent[],
  ratePerSecond: number,
): Promise<AckResult[][]> {
  const start = performance.now();
  const pending: Array<Promise<AckResult[]>> = [];
  for (const [i, e] of events.entries()) {
    const due = start + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(deliver(url, e));
  }
  return Promise.all(pending);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
