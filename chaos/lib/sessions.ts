/**
 * The session watchdogs under chaos. The load's session events each name a session of their own: a disconnect is a
 * session that stays down, a connect one that never dropped. One more session flaps: five drops, each followed by
 * a connect, inside a second. What must reach the alert stand-in, from the events alone: every session that stays
 * down alerted down exactly once and escalated exactly once, with restarts reaching the Vesper stand-in; the
 * flapping session alerted flapping exactly once and never down; no other session alerted at all.
 */
import { signedEvent, type BenchEvent } from '../../bench/lib/load';
import type { VesperEvent } from '../../src/workflows/contracts';
import type { StandIn } from '../../support/stand-in';

/** The watchdog's durations for a chaos run: its grace and escalation pass within a run of minutes. */
export const CHAOS_SESSION_ENV = {
  SESSION_GRACE_SECONDS: '10',
  SESSION_ESCALATE_AFTER_SECONDS: '30',
  SESSION_REMINDER_SECONDS: '3600',
  SESSION_RESTART_INTERVAL_SECONDS: '5',
  SESSION_RESTART_MAX_INTERVAL_SECONDS: '30',
  SESSION_RESTART_MAX_ATTEMPTS: '2',
  SESSION_STATUS_CHECK_DELAY_SECONDS: '3',
  SESSION_FLAP_DISCONNECTS: '3',
  SESSION_FLAP_WINDOW_SECONDS: '120',
};

const FLAP_DROPS = 5;
/** Where in the load the flapping session's events go: first, before any fault is planned (from 5 % on). */
const FLAP_AT = 2;

/** The load with the flapping session's events inserted (stamped from the slot they take, 50 ms apart). */
export function withFlappingSession(events: BenchEvent[], secret: string, prefix: string): BenchEvent[] {
  const slot = events[Math.min(FLAP_AT, events.length - 1)];
  if (!slot) return events;
  const start = Date.parse(slot.event.timestamp);
  const sessionId = `${prefix}-flapping`;
  const flapping: BenchEvent[] = [];
  for (let i = 0; i < FLAP_DROPS * 2; i++) {
    const event: VesperEvent = {
      type: i % 2 === 0 ? 'session.disconnected' : 'session.connected',
      timestamp: new Date(start + i * 50).toISOString(),
      data: { sessionId, ...(i % 2 === 0 && { reason: 'connection_lost' }) },
    };
    flapping.push(signedEvent(event, secret));
  }
  const at = events.indexOf(slot);
  return [...events.slice(0, at), ...flapping, ...events.slice(at)];
}

export interface SessionExpectations {
  staysDown: Set<string>;
  flapping: Set<string>;
  /** Sessions that must send no alert at all. */
  quiet: Set<string>;
}

export function sessionExpectationsOf(distinct: BenchEvent[]): SessionExpectations {
  const drops = new Map<string, number>();
  const connects = new Map<string, number>();
  for (const { event } of distinct) {
    const sessionId = event.data.sessionId ?? '';
    if (event.type === 'session.disconnected') drops.set(sessionId, (drops.get(sessionId) ?? 0) + 1);
    if (event.type === 'session.connected') connects.set(sessionId, (connects.get(sessionId) ?? 0) + 1);
  }
  const expected: SessionExpectations = { staysDown: new Set(), flapping: new Set(), quiet: new Set() };
  for (const sessionId of new Set([...drops.keys(), ...connects.keys()])) {
    const down = drops.get(sessionId) ?? 0;
    if (down >= Number(CHAOS_SESSION_ENV.SESSION_FLAP_DISCONNECTS)) expected.flapping.add(sessionId);
    else if (down > 0 && !connects.has(sessionId)) expected.staysDown.add(sessionId);
    else expected.quiet.add(sessionId);
  }
  return expected;
}

export interface SessionFindings {
  staysDown: number;
  /** Sessions that stay down with exactly one down alert, and with a restart request at Vesper. */
  downAlerted: number;
  escalated: number;
  restarted: number;
  flapping: number;
  flappingAlerted: number;
  /** Session alerts beyond what the events call for: a second alert of one kind, or any from a quiet session. */
  extra: number;
  examples: string[];
}

interface SessionAlert {
  fields?: Record<string, string>;
}

/** After the expected alerts are in, how long a second one (or one from a quiet session) is still looked for. */
const SETTLE_MS = 5000;

/** Waits (up to `timeoutMs`) for every expected session alert and restart, watches a little longer, then counts. */
export async function checkSessions(
  vesper: StandIn,
  alerts: StandIn,
  expected: SessionExpectations,
  timeoutMs: number,
): Promise<SessionFindings> {
  const deadline = Date.now() + timeoutMs;
  const complete = (f: SessionFindings) =>
    f.downAlerted === f.staysDown &&
    f.escalated === f.staysDown &&
    f.restarted === f.staysDown &&
    f.flappingAlerted === f.flapping;
  while (!complete(findSessions(vesper, alerts, expected)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return findSessions(vesper, alerts, expected);
}

function findSessions(vesper: StandIn, alerts: StandIn, expected: SessionExpectations): SessionFindings {
  const kinds = new Map<string, string[]>();
  for (const r of alerts.effects()) {
    const fields = (r.body as SessionAlert).fields;
    if (!fields?.kind?.startsWith('session.') || fields.sessionId === undefined) continue;
    kinds.set(fields.sessionId, [...(kinds.get(fields.sessionId) ?? []), fields.kind]);
  }
  const restarted = new Set(
    vesper.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/restart'))
      .map((r) => decodeURIComponent(r.path.split('/')[2] ?? '')),
  );
  const of = (sessionId: string, kind: string) =>
    (kinds.get(sessionId) ?? []).filter((k) => k === `session.${kind}`).length;
  const examples: string[] = [];
  let extra = 0;
  const excess = (sessionId: string, n: number, why: string) => {
    if (n <= 0) return;
    extra += n;
    if (examples.length < 5) examples.push(`${sessionId}: ${why}`);
  };
  for (const sessionId of expected.staysDown) {
    excess(sessionId, of(sessionId, 'down') - 1, 'more than one down alert');
    excess(sessionId, of(sessionId, 'escalated') - 1, 'more than one escalation');
    excess(sessionId, of(sessionId, 'recovered') + of(sessionId, 'flapping'), 'recovered or flapping');
  }
  for (const sessionId of expected.flapping) {
    excess(sessionId, of(sessionId, 'flapping') - 1, 'more than one flapping alert');
    excess(sessionId, of(sessionId, 'down'), 'a down alert while flapping');
  }
  for (const sessionId of expected.quiet) excess(sessionId, kinds.get(sessionId)?.length ?? 0, 'an alert');
  return {
    staysDown: expected.staysDown.size,
    downAlerted: [...expected.staysDown].filter((s) => of(s, 'down') === 1).length,
    escalated: [...expected.staysDown].filter((s) => of(s, 'escalated') === 1).length,
    restarted: [...expected.staysDown].filter((s) => restarted.has(s)).length,
    flapping: expected.flapping.size,
    flappingAlerted: [...expected.flapping].filter((s) => of(s, 'flapping') === 1).length,
    extra,
    examples,
  };
}

/** The order the session record (and the watchdog) keeps: event time, disconnected after connected, event key. */
export function sessionOrder(e: BenchEvent): [number, number, string] {
  return [Date.parse(e.event.timestamp), e.event.type === 'session.disconnected' ? 1 : 0, e.eventKey];
}

export function laterInSessionOrder(a: [number, number, string], b: [number, number, string]): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
}

/** Each session's last event in that order: what its Redis record must hold once every event is applied. */
export function lastSessionEvents(distinct: BenchEvent[]): Map<string, BenchEvent> {
  const last = new Map<string, BenchEvent>();
  for (const e of distinct) {
    if (!e.event.type.startsWith('session.')) continue;
    const sessionId = e.event.data.sessionId ?? '';
    const current = last.get(sessionId);
    if (!current || laterInSessionOrder(sessionOrder(e), sessionOrder(current))) last.set(sessionId, e);
  }
  return last;
}
