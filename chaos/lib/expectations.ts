/**
 * What the load must leave behind, worked out from the events alone (not from the code under test): which
 * messages are saved, which get an auto-reply, each message's final status and history, each session's state (the
 * session watchdogs' alerts: sessions.ts).
 */
import type { BenchEvent } from '../../bench/lib/load';
import type { VesperEventData } from '../../src/workflows/contracts';

/** The status rank of the README (sent < delivered < read < played; `failed` is not in this load). */
const RANKS: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 4 };

export interface ExpectedMessage {
  sessionId: string;
  messageId: string;
  received?: BenchEvent;
  /** Status events for this message, each once. */
  statuses: Array<{ eventKey: string; status: string; at: number }>;
}

export interface Expectations {
  /** Every distinct event, first delivery only. */
  distinct: BenchEvent[];
  messages: Map<string, ExpectedMessage>;
  /** Event keys of the received messages the rules answer, with the contact the reply goes to. */
  replies: Map<string, { sessionId: string; to: string }>;
}

/**
 * The auto-reply rules of the README for this run's settings (cooldown 0, no OWN_NUMBERS): never a group
 * (`isGroup` or a `@g.us` sender), never our own message (`fromMe`, sender = recipient), never without a sender.
 */
export function replyExpected(data: VesperEventData): boolean {
  const from = typeof data.from === 'string' ? data.from : '';
  if (data.isGroup === true || from.endsWith('@g.us')) return false;
  const contact = contactOf(from);
  return contact !== '' && data.fromMe !== true && contact !== contactOf(data.to);
}

export function contactOf(jid: unknown): string {
  return typeof jid === 'string' ? (jid.split('@')[0] ?? '').replace(/\D/g, '') : '';
}

export function messageKey(sessionId: string, messageId: string): string {
  return `${sessionId}\u0000${messageId}`;
}

export function expectationsOf(events: BenchEvent[]): Expectations {
  const distinct = events.filter((e) => !e.redelivery);
  const messages = new Map<string, ExpectedMessage>();
  const replies = new Map<string, { sessionId: string; to: string }>();
  const message = (sessionId: string, messageId: string): ExpectedMessage => {
    const key = messageKey(sessionId, messageId);
    const found = messages.get(key) ?? { sessionId, messageId, statuses: [] };
    messages.set(key, found);
    return found;
  };
  for (const e of distinct) {
    const { type, data } = e.event;
    const sessionId = data.sessionId ?? '';
    if (type === 'message.received') {
      message(sessionId, data.messageId ?? '').received = e;
      if (replyExpected(data)) replies.set(e.eventKey, { sessionId, to: contactOf(data.from) });
    } else if (type.startsWith('message.')) {
      const status = type.slice('message.'.length);
      message(sessionId, data.messageId ?? '').statuses.push({
        eventKey: e.eventKey,
        status,
        at: typeof data.timestamp === 'number' ? data.timestamp : 0,
      });
    }
  }
  return { distinct, messages, replies };
}

/** The highest status a message got, whatever the order its events arrived in. */
export function finalStatus(
  statuses: ExpectedMessage['statuses'],
): { status: string; rank: number } | undefined {
  let best: { status: string; rank: number } | undefined;
  for (const { status } of statuses) {
    const rank = RANKS[status] ?? 0;
    if (!best || rank > best.rank) best = { status, rank };
  }
  return best;
}
