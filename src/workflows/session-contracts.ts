/**
 * What the session watchdog (session-watchdog.ts), the event workflow that wakes it, its activities and the
 * operator tool agree on. Sandbox-safe: no Node built-ins.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const SESSION_WATCHDOG_WORKFLOW = 'sessionWatchdog';

/** A session event as the watchdog takes it: its envelope time orders it, its key dedupes it. */
export interface SessionNotice {
  eventKey: string;
  type: 'session.connected' | 'session.disconnected';
  /** The event's own time (ISO, Vesper's stamp): what orders it, not when it arrived. */
  timestamp: string;
  reason?: string;
  lastSeen?: string;
}

/** Sent with signal-with-start by the event workflow of every session event. */
export const sessionEventSignal = defineSignal<[SessionNotice]>('sessionEvent');

/** Durations in seconds; read from the worker's environment when the watchdog starts (README, Session watchdog). */
export interface SessionWatchdogSettings {
  /** A disconnect that ends within this is a blip: counted, never alerted. */
  graceSeconds: number;
  /** Down this long (from the disconnect): one escalation alert. */
  escalateAfterSeconds: number;
  /** After the escalation, one reminder per this interval while it stays down. */
  reminderSeconds: number;
  /** The first restart follows the down alert at once; then one per this interval, doubling… */
  restartIntervalSeconds: number;
  /** …up to this; also how often Vesper's status is checked once the restarts are spent. */
  restartMaxIntervalSeconds: number;
  /** Restarts per outage at most (0: none, status checks only). */
  restartMaxAttempts: number;
  /** How long after a restart Vesper's status is checked. */
  statusCheckDelaySeconds: number;
  /** This many disconnects within flapWindowSeconds is flapping: one alert instead of one per drop. */
  flapDisconnects: number;
  /** Also how long a session stays connected before its watchdog completes. */
  flapWindowSeconds: number;
  /** Past this many history events the watchdog continues as new (a long outage). */
  historyLimit: number;
}

/** The Vesper status values its docs list, and what else a check can come back with. */
export type VesperSessionStatus = 'connected' | 'connecting' | 'disconnected' | 'unknown';

export interface SessionCheck {
  at: string;
  /** A status, or why there is none (`failed: …`, `no-api-key`). */
  outcome: VesperSessionStatus | `failed: ${string}` | 'no-api-key';
}

/** One outage: from a disconnect to the session being back (a webhook or Vesper's status says so). */
export interface SessionEpisode {
  /** Numbered within the watchdog. */
  number: number;
  /** The disconnect event's time, reason and lastSeen, as Vesper sent them. */
  since: string;
  reason: string;
  lastSeen: string;
  /** Disconnect events while already down (a restart's own, or one whose connect was lost). */
  repeats: number;
  /** Watchdog time (ms) the outage opened; grace and escalation count from it. */
  openedAtMs: number;
  downAlertedAt?: string;
  /** The down alert was held back because the session is flapping. */
  folded?: boolean;
  escalatedAt?: string;
  remindersSent: number;
  restartAttempts: number;
  lastRestart?: { at: string; outcome: string };
  /** Vesper refused a restart (4xx): restarting again cannot help. */
  restartRefused?: string;
  lastCheck?: SessionCheck;
  /** The next step's times (ms): a restart, a status check, a reminder. */
  nextRestartAtMs?: number;
  nextCheckAtMs?: number;
  nextReminderAtMs?: number;
}

/** An outage that is over, waiting for the watchdog to send what its end calls for. */
export interface EndedEpisode extends SessionEpisode {
  /** When it was seen to end: the connect's event time, or when Vesper's status said so. */
  upAt: string;
  /** Who said so: a session.connected event, the session's record in Redis, or Vesper's status. */
  by: 'webhook' | 'session-record' | 'vesper-status';
}

export type FlapEvent = [atMs: number, rank: 0 | 1, eventKey: string, counted: boolean];

export interface SessionWatchdogState {
  /** What the watchdog believes: the latest event by event time, or Vesper's status. */
  status: 'connected' | 'disconnected';
  /** The latest event applied, by (event time, disconnected after connected, event key). */
  latest?: { atMs: number; rank: 0 | 1; eventKey: string; type: SessionNotice['type'] };
  /** Recent event keys: a notice repeated by a retried activity counts once. */
  recentEventKeys: string[];
  /** Event times (ms) of recent drops (connected → disconnected), for flapping. */
  recentDrops: number[];
  /**
   * The events of the flapping window in event-time order, and the one before it, as [time (ms), 1 for a
   * disconnect, event key, counted as a drop]; drops are read from this order, whatever order events arrive in.
   * Absent in runs from before 0.5.1, which count transitions.
   */
  flapEvents?: FlapEvent[];
  /** Watchdog time (ms) of the last transition; the watchdog completes flapWindowSeconds after, when up. */
  lastChangeAtMs: number;
  /** A flapping spell: since its first counted drop's time, drops in it, down alerts folded into it. */
  flapping?: { since: string; drops: number; folded: number; alerted: boolean };
  episode?: SessionEpisode;
  /** Outages over but not yet closed (their recovery alert, their metric): at most one or two at a time. */
  ended: EndedEpisode[];
  episodes: number;
  /** Outages that ended within the grace (or that Vesper's status showed were over), never alerted. */
  blips: number;
  /** Outages that were alerted (or folded into a flapping alert). */
  outages: number;
  alertsSent: number;
  restartAttempts: number;
  /** Events older than the latest one applied: kept out of the state. */
  stale: number;
  lastRecovery?: { at: string; downSeconds: number; by: EndedEpisode['by']; alerted: boolean };
}

export interface SessionWatchdogInput {
  sessionId: string;
  settings: SessionWatchdogSettings;
  /** Carried over by continue-as-new. */
  state?: SessionWatchdogState;
}

/** What `npm run sessions` prints: the state, with how long the session has been down. */
export interface SessionView extends SessionWatchdogState {
  sessionId: string;
  downForSeconds?: number;
  settings: SessionWatchdogSettings;
}

export const sessionStateQuery = defineQuery<SessionView>('sessionState');
