import {
  ActivityFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertActivities, SessionApiActivities, StorageActivities } from '../activities';
import { FAILURE_TYPES, SEARCH_ATTRIBUTES, type ProcessingSinks } from './contracts';
import { failureType } from './local-first';
import { PATCHES } from './patches';
import { RETRY_POLICIES } from './retry-policies';
import {
  sessionEventSignal,
  sessionStateQuery,
  type EndedEpisode,
  type FlapEvent,
  type SessionEpisode,
  type SessionNotice,
  type SessionWatchdogInput,
  type SessionWatchdogSettings,
  type SessionWatchdogState,
} from './session-contracts';

// bounded as the alert groups' are: the watchdog's own schedule, not one alert's retries, decides what comes next
const { alertTeam } = proxyActivities<AlertActivities>({
  ...RETRY_POLICIES.alerting,
  scheduleToCloseTimeout: '5 minutes',
});
const { restartSession, getSessionStatus, latestSessionRecord } = proxyActivities<
  SessionApiActivities & Pick<StorageActivities, 'latestSessionRecord'>
>(RETRY_POLICIES.sessionApi);
const { metrics } = proxySinks<ProcessingSinks>();

/** Enough to recognise a notice repeated by its activity's retry, small enough to carry over continue-as-new. */
const REMEMBERED_EVENT_KEYS = 200;

const RECOVERY_SOURCE: Record<EndedEpisode['by'], string> = {
  webhook: 'its session.connected event',
  'session-record': 'the session record in Redis',
  'vesper-status': "Vesper's status",
};

type AlertKind = 'down' | 'escalated' | 'reminder' | 'recovered' | 'flapping' | 'stable';
const SEVERITY: Record<AlertKind, 'info' | 'warning' | 'critical'> = {
  down: 'warning',
  escalated: 'critical',
  reminder: 'critical',
  recovered: 'info',
  flapping: 'warning',
  stable: 'info',
};

/**
 * One per session (sessionWatchdogId), woken with signal-with-start by the event workflow of every session event.
 * A disconnect opens an outage on durable timers: within the grace it is a blip (counted, no alert); past it, if
 * Vesper's status does not say the session is back, one alert, then restarts through Vesper's session API with
 * back-off and a status check after each; one escalation after a longer bound, then slow reminders; one
 * "recovered" alert when a connect (or Vesper's status) ends an alerted outage. Many drops in a window are one
 * "flapping" alert instead of one per drop. Events are ordered by their own time, so late and repeated ones change
 * nothing; once the session has stayed up for the flapping window the watchdog completes.
 */
export async function sessionWatchdog(input: SessionWatchdogInput): Promise<SessionWatchdogState> {
  const { sessionId, settings } = input;
  const state: SessionWatchdogState = input.state ?? {
    status: 'connected',
    recentEventKeys: [],
    recentDrops: [],
    lastChangeAtMs: Date.now(),
    episodes: 0,
    blips: 0,
    outages: 0,
    alertsSent: 0,
    restartAttempts: 0,
    stale: 0,
    ended: [],
  };
  // runs from before 0.5.1 (and their replays) count flapping as they did; one continued from such a run starts
  // the event order from what that run knew
  if (patched(PATCHES.flapsInEventOrder)) state.flapEvents ??= flapEventsFrom(state);
  const seen = new Set(state.recentEventKeys);
  let changed = false;
  setHandler(sessionEventSignal, (notice) => {
    if (seen.has(notice.eventKey)) return;
    seen.add(notice.eventKey);
    state.recentEventKeys.push(notice.eventKey);
    if (state.recentEventKeys.length > REMEMBERED_EVENT_KEYS)
      seen.delete(state.recentEventKeys.shift() ?? '');
    changed = apply(state, notice, settings) || changed;
  });
  setHandler(sessionStateQuery, () => ({
    sessionId,
    settings,
    ...state,
    ...(state.episode && {
      downForSeconds: Math.max(0, Math.round((Date.now() - Date.parse(state.episode.since)) / 1000)),
    }),
  }));

  const mustContinue = () => {
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    return continueAsNewSuggested || historyLength > settings.historyLimit;
  };
  const wake = () => changed || mustContinue();
  let marked: string | undefined;

  for (;;) {
    changed = false;
    if (marked !== state.status) {
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.sessionStatus, value: state.status }]);
      marked = state.status;
    }
    if (mustContinue()) return continueAsNew<typeof sessionWatchdog>({ sessionId, settings, state });
    await noteFlapping(sessionId, settings, state);
    const ended = state.ended[0];
    if (ended) {
      await closeEpisode(sessionId, state, ended);
      state.ended.shift();
      continue;
    }
    const episode = state.episode;
    const now = Date.now();
    if (episode) {
      const due = nextDue(episode, settings);
      if (due > now) {
        await condition(wake, due - now);
        continue;
      }
      await step(sessionId, settings, state, episode, now);
      continue;
    }
    const quietUntil = state.lastChangeAtMs + settings.flapWindowSeconds * 1000;
    if (now < quietUntil) {
      await condition(wake, quietUntil - now);
      continue;
    }
    // up for the whole window: done (a later event starts a new watchdog)
    if (state.flapping) {
      const { drops } = state.flapping;
      // the spell is over: the next one needs its own run of drops
      state.flapping = undefined;
      state.recentDrops = [];
      // the last event stays: it tells whether the next one is a drop
      if (state.flapEvents) state.flapEvents = state.flapEvents.slice(-1);
      await alert(sessionId, state, 'stable', {
        text: `WhatsApp session ${sessionId} is stable again: connected for ${duration(settings.flapWindowSeconds)} after ${drops} drops.`,
      });
      continue;
    }
    return state;
  }
}

/**
 * Applies a notice to the state unless an event later in the order was applied already (the order of the
 * session record in Redis, activities/sessions-and-events.ts: event time, then disconnected after connected, then
 * event key). Returns whether the watchdog's belief changed.
 */
function apply(
  state: SessionWatchdogState,
  notice: SessionNotice,
  settings: SessionWatchdogSettings,
  by: 'webhook' | 'session-record' = 'webhook',
): boolean {
  const atMs = Date.parse(notice.timestamp);
  const rank = notice.type === 'session.disconnected' ? 1 : 0;
  // a late event can complete a run of drops: the spell it opens wakes the loop like a change does
  const opened =
    state.flapEvents !== undefined &&
    Number.isFinite(atMs) &&
    noteFlapEvent(state, [atMs, rank, notice.eventKey, false], settings);
  return applyInOrder(state, notice, by, settings) || opened;
}

function applyInOrder(
  state: SessionWatchdogState,
  notice: SessionNotice,
  by: 'webhook' | 'session-record',
  settings: SessionWatchdogSettings,
): boolean {
  const atMs = Date.parse(notice.timestamp);
  const rank = notice.type === 'session.disconnected' ? 1 : 0;
  const inEventOrder = state.flapEvents !== undefined;
  if (!laterThanLatest(state, notice)) {
    state.stale++;
    // a drop that arrived late still happened: flapping counts it
    if (!inEventOrder && rank === 1 && Number.isFinite(atMs))
      noteDrop(state, atMs, notice.timestamp, settings);
    return false;
  }
  state.latest = { atMs, rank, eventKey: notice.eventKey, type: notice.type };
  if (notice.type === 'session.connected') {
    if (state.status === 'connected') return false;
    state.status = 'connected';
    state.lastChangeAtMs = Date.now();
    // the outage is over; the main loop sends what its end calls for
    if (state.episode) state.ended.push({ ...state.episode, upAt: notice.timestamp, by });
    state.episode = undefined;
    return true;
  }
  if (state.status === 'disconnected') {
    // already down: the same outage (a restart's own drop, or a lost connect); the newest reason is kept
    if (state.episode) {
      state.episode.repeats++;
      state.episode.reason = notice.reason ?? state.episode.reason;
      state.episode.lastSeen = notice.lastSeen ?? state.episode.lastSeen;
    }
    return false;
  }
  state.status = 'disconnected';
  state.lastChangeAtMs = Date.now();
  if (!inEventOrder) noteDrop(state, atMs, notice.timestamp, settings);
  state.episode = {
    number: ++state.episodes,
    since: notice.timestamp,
    reason: notice.reason ?? '',
    lastSeen: notice.lastSeen ?? '',
    repeats: 0,
    openedAtMs: Date.now(),
    remindersSent: 0,
    restartAttempts: 0,
  };
  return true;
}

/** Whether a notice comes after the latest one applied, in the order of apply(). */
function laterThanLatest(state: SessionWatchdogState, notice: SessionNotice): boolean {
  const atMs = Date.parse(notice.timestamp);
  const rank = notice.type === 'session.disconnected' ? 1 : 0;
  const latest = state.latest;
  if (!Number.isFinite(atMs)) return false;
  if (!latest || atMs !== latest.atMs) return !latest || atMs > latest.atMs;
  return rank !== latest.rank ? rank > latest.rank : notice.eventKey > latest.eventKey;
}

/** Bounds the state (carried by continue-as-new) however many events a window holds. */
const MAX_FLAP_EVENTS = 500;

/**
 * An event into the flapping window, in event-time order (the order of apply()). A drop is a disconnect right
 * after a connect in that order (or the first event the watchdog knows), so a connect that arrives after the next
 * drop still makes that drop count. Drops in the window reaching the threshold open a spell; each new one counts
 * in it.
 */
function noteFlapEvent(
  state: SessionWatchdogState,
  event: FlapEvent,
  settings: SessionWatchdogSettings,
): boolean {
  const events = state.flapEvents ?? [];
  if (events.some((e) => e[2] === event[2])) return false; // the same event from the session record
  events.push(event);
  events.sort(byFlapOrder);
  const windowStart = (events.at(-1)?.[0] ?? 0) - settings.flapWindowSeconds * 1000;
  // the last event before the window stays: it tells whether the first one inside is a drop
  const firstInside = events.findIndex((e) => e[0] > windowStart);
  if (firstInside > 1) events.splice(0, firstInside - 1);
  // a session sending hundreds of events in one window is flapping long before: the oldest go (the first one
  // left may then count as a drop it was not: one more drop for a session far past the threshold)
  if (events.length > MAX_FLAP_EVENTS) events.splice(0, events.length - MAX_FLAP_EVENTS);
  const drops = events.filter((e, i) => e[1] === 1 && e[0] > windowStart && events[i - 1]?.[1] !== 1);
  const fresh = drops.filter((e) => !e[3]);
  for (const e of fresh) e[3] = true;
  // a late disconnect just before a counted drop takes its place: that one is no longer a drop
  const undone = events.filter((e) => e[3] && e[0] > windowStart && !drops.includes(e));
  for (const e of undone) e[3] = false;
  state.flapEvents = events;
  state.recentDrops = drops.map((e) => e[0]);
  if (state.flapping) {
    state.flapping.drops += fresh.length - undone.length;
    return false;
  }
  if (drops.length < settings.flapDisconnects) return false;
  const since = drops[0]?.[0] ?? event[0];
  state.flapping = { since: new Date(since).toISOString(), drops: drops.length, folded: 0, alerted: false };
  return true;
}

/** The order of apply(): event time, then disconnected after connected, then event key. */
function byFlapOrder(a: FlapEvent, b: FlapEvent): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/**
 * The event order a run from before 0.5.1 leaves to the run it continues as: each recent drop as a connect then a
 * disconnect at its time, and the latest event applied, all counted already.
 */
function flapEventsFrom(state: SessionWatchdogState): FlapEvent[] {
  const events: FlapEvent[] = state.recentDrops.flatMap((t): FlapEvent[] => [
    [t, 0, `before-0.5.1:${t}:connected`, true],
    [t, 1, `before-0.5.1:${t}:disconnected`, true],
  ]);
  const latest = state.latest;
  if (latest) events.push([latest.atMs, latest.rank, latest.eventKey, true]);
  return events.sort(byFlapOrder);
}

/** A drop (connected → disconnected, or one that arrived late) for flapping: its spell opens at the threshold. */
function noteDrop(
  state: SessionWatchdogState,
  atMs: number,
  timestamp: string,
  settings: SessionWatchdogSettings,
) {
  state.recentDrops.push(atMs);
  const windowStart = Math.max(...state.recentDrops) - settings.flapWindowSeconds * 1000;
  state.recentDrops = state.recentDrops.filter((t) => t > windowStart).slice(-settings.flapDisconnects);
  if (state.flapping) state.flapping.drops++;
  else if (state.recentDrops.length >= settings.flapDisconnects) {
    state.flapping = { since: timestamp, drops: state.recentDrops.length, folded: 0, alerted: false };
  }
}

/** When the episode's next step is due (ms): the grace's end, then restarts, checks, escalation, reminders. */
function nextDue(episode: SessionEpisode, settings: SessionWatchdogSettings): number {
  if (!episode.downAlertedAt && !episode.folded) return episode.openedAtMs + settings.graceSeconds * 1000;
  const escalation = episode.escalatedAt
    ? Infinity
    : episode.openedAtMs + settings.escalateAfterSeconds * 1000;
  return Math.min(
    episode.nextRestartAtMs ?? Infinity,
    episode.nextCheckAtMs ?? Infinity,
    escalation,
    episode.nextReminderAtMs ?? Infinity,
  );
}

/** Does whatever is due at `now`, in order: the grace's end, a status check, a restart, escalation, a reminder. */
async function step(
  sessionId: string,
  settings: SessionWatchdogSettings,
  state: SessionWatchdogState,
  episode: SessionEpisode,
  now: number,
): Promise<void> {
  // every await below may let events in: a step whose outage ended meanwhile stops there
  const over = () => state.episode !== episode;
  if (!episode.downAlertedAt && !episode.folded) {
    // the grace is over. The session's record in Redis may hold a later connect than this watchdog knows (a late
    // disconnect that started a new watchdog after the last one completed); then Vesper's own status
    const record = await latestSessionRecord({ sessionId }).catch(() => undefined);
    if (over()) return;
    const recorded: SessionNotice | undefined = record && {
      eventKey: record.eventKey,
      type: 'session.connected',
      timestamp: record.timestamp,
    };
    if (record?.status === 'connected' && recorded && laterThanLatest(state, recorded)) {
      apply(state, recorded, settings, 'session-record');
      if (over()) return;
    }
    if ((await check(sessionId, episode)) === 'connected') return recoverByStatus(state, episode, settings);
    if (over()) return;
    if (state.flapping) {
      episode.folded = true;
      state.flapping.folded++;
    } else {
      episode.downAlertedAt = new Date(now).toISOString();
      await alert(sessionId, state, 'down', {
        text: `WhatsApp session ${sessionId} is down since ${episode.since} (${episode.reason || 'no reason given'}); Vesper says ${statusText(episode)}. Messages stop arriving until it reconnects.`,
        episode,
      });
    }
    state.outages++;
    episode.nextRestartAtMs = now;
    return;
  }
  if (episode.nextCheckAtMs !== undefined && episode.nextCheckAtMs <= now) {
    episode.nextCheckAtMs = undefined;
    if ((await check(sessionId, episode)) === 'connected') return recoverByStatus(state, episode, settings);
    if (over()) return;
    const interval = restartInterval(settings, episode.restartAttempts);
    if (canRestart(settings, episode)) {
      episode.nextRestartAtMs = Date.parse(episode.lastRestart?.at ?? new Date(now).toISOString()) + interval;
    } else {
      episode.nextCheckAtMs = now + settings.restartMaxIntervalSeconds * 1000;
    }
    return;
  }
  if (episode.nextRestartAtMs !== undefined && episode.nextRestartAtMs <= now) {
    episode.nextRestartAtMs = undefined;
    if (canRestart(settings, episode)) await restart(sessionId, state, episode);
    if (over()) return;
    episode.nextCheckAtMs = Date.now() + settings.statusCheckDelaySeconds * 1000;
    return;
  }
  if (!episode.escalatedAt && now >= episode.openedAtMs + settings.escalateAfterSeconds * 1000) {
    episode.escalatedAt = new Date(now).toISOString();
    episode.nextReminderAtMs = now + settings.reminderSeconds * 1000;
    await alert(sessionId, state, 'escalated', {
      text: `ESCALATION: WhatsApp session ${sessionId} has been down for ${duration(secondsSince(episode, now))} (since ${episode.since}, ${episode.reason || 'no reason given'}); ${restartText(episode)}; Vesper says ${statusText(episode)}. It may need its QR code scanned again.`,
      episode,
    });
    return;
  }
  if (episode.nextReminderAtMs !== undefined && episode.nextReminderAtMs <= now) {
    episode.remindersSent++;
    episode.nextReminderAtMs = now + settings.reminderSeconds * 1000;
    await alert(sessionId, state, 'reminder', {
      text: `Still down: WhatsApp session ${sessionId}, for ${duration(secondsSince(episode, now))} (since ${episode.since}); ${restartText(episode)}; Vesper says ${statusText(episode)}.`,
      episode,
    });
  }
}

function canRestart(settings: SessionWatchdogSettings, episode: SessionEpisode): boolean {
  return !episode.restartRefused && episode.restartAttempts < settings.restartMaxAttempts;
}

/** The wait after the n-th restart: the interval doubled per attempt, capped. */
function restartInterval(settings: SessionWatchdogSettings, attempts: number): number {
  const doubled = settings.restartIntervalSeconds * 2 ** Math.max(0, attempts - 1);
  return Math.min(doubled, settings.restartMaxIntervalSeconds) * 1000;
}

async function restart(sessionId: string, state: SessionWatchdogState, episode: SessionEpisode) {
  const at = new Date().toISOString();
  const attempt = episode.restartAttempts + 1;
  const { workflowId, firstExecutionRunId } = workflowInfo();
  let outcome: 'requested' | 'refused' | 'failed' = 'requested';
  let detail = 'requested';
  try {
    const result = await restartSession({
      sessionId,
      idempotencyKey: `${workflowId}:${firstExecutionRunId}:${episode.number}:${attempt}`,
    });
    if (result.outcome === 'no-api-key') {
      // nothing was asked of Vesper: no attempt, and none to come
      episode.restartRefused = 'no VESPER_API_KEY';
      return;
    }
    detail = result.outcome;
  } catch (err) {
    detail = `failed: ${failureMessage(err)}`;
    outcome = failureType(err) === FAILURE_TYPES.vesperRejected ? 'refused' : 'failed';
    if (outcome === 'refused') episode.restartRefused = failureMessage(err);
    log.warn('session restart failed', { sessionId, attempt, error: detail });
  }
  episode.restartAttempts = attempt;
  state.restartAttempts++;
  episode.lastRestart = { at, outcome: detail };
  metrics.sessionRestartAttempted({ outcome });
}

/** Vesper's status of the session, kept in the episode. */
async function check(sessionId: string, episode: SessionEpisode): Promise<string> {
  const at = new Date().toISOString();
  try {
    const { status } = await getSessionStatus({ sessionId });
    episode.lastCheck = { at, outcome: status };
  } catch (err) {
    episode.lastCheck = { at, outcome: `failed: ${failureMessage(err)}` };
  }
  return episode.lastCheck.outcome;
}

/** Vesper says the session is connected: the outage is over, whatever our webhooks said (the loop closes it). */
function recoverByStatus(
  state: SessionWatchdogState,
  episode: SessionEpisode,
  settings: SessionWatchdogSettings,
): void {
  // no webhook brought the connect: it goes into the event order right after the latest event, so the next
  // disconnect is a drop
  if (state.flapEvents && state.latest) {
    const connect: FlapEvent = [state.latest.atMs + 1, 0, `vesper-status:${episode.number}`, false];
    noteFlapEvent(state, connect, settings);
  }
  state.status = 'connected';
  state.lastChangeAtMs = Date.now();
  state.ended.push({ ...episode, upAt: new Date().toISOString(), by: 'vesper-status' });
  state.episode = undefined;
}

/** The outage is over: one "recovered" alert if its down alert went out, else a counted blip. */
async function closeEpisode(
  sessionId: string,
  state: SessionWatchdogState,
  episode: EndedEpisode,
): Promise<void> {
  const { by } = episode;
  const upAt = Number.isFinite(Date.parse(episode.upAt)) ? Date.parse(episode.upAt) : Date.now();
  const downSeconds = Math.max(0, Math.round((upAt - Date.parse(episode.since)) / 1000));
  // a folded outage that lasted to its escalation was alerted too: its end is news
  const alerted = episode.downAlertedAt !== undefined || episode.escalatedAt !== undefined;
  if (!alerted && !episode.folded) state.blips++;
  state.lastRecovery = { at: new Date(upAt).toISOString(), downSeconds, by, alerted };
  metrics.sessionRecovered({ downSeconds, alerted });
  if (!alerted) return;
  await alert(sessionId, state, 'recovered', {
    text: `Recovered: WhatsApp session ${sessionId} is connected again after ${duration(downSeconds)} (down since ${episode.since}; ${restartText(episode)}; seen by ${RECOVERY_SOURCE[by]}).`,
    episode,
  });
}

/** The flapping alert, once per flapping spell (apply() opens it when the recent drops reach the threshold). */
async function noteFlapping(
  sessionId: string,
  settings: SessionWatchdogSettings,
  state: SessionWatchdogState,
) {
  const flapping = state.flapping;
  if (!flapping || flapping.alerted) return;
  flapping.alerted = true;
  await alert(sessionId, state, 'flapping', {
    text: `WhatsApp session ${sessionId} is flapping: ${flapping.drops} drops within ${duration(settings.flapWindowSeconds)} (latest: ${state.episode?.reason || 'no reason given'}). Its down alerts are held until it has been connected for ${duration(settings.flapWindowSeconds)}; an outage longer than ${duration(settings.escalateAfterSeconds)} is still escalated.`,
  });
}

async function alert(
  sessionId: string,
  state: SessionWatchdogState,
  kind: AlertKind,
  { text, episode }: { text: string; episode?: SessionEpisode },
): Promise<void> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  state.alertsSent++;
  try {
    await alertTeam({
      alertKey: `session-watchdog:${workflowId}:${firstExecutionRunId}:${state.alertsSent}`,
      text,
      fields: {
        kind: `session.${kind}`,
        severity: SEVERITY[kind],
        sessionId,
        watchdog: workflowId,
        since: episode?.since ?? '',
        reason: episode?.reason ?? '',
        restartAttempts: String(episode?.restartAttempts ?? 0),
        vesperStatus: episode?.lastCheck?.outcome ?? '',
        drops: String(state.recentDrops.length),
      },
    });
  } catch (err) {
    // the watchdog goes on: its next alert still tells the story
    log.error('session watchdog alert failed', { sessionId, kind, error: String(err) });
  }
}

function statusText(episode: SessionEpisode): string {
  return episode.lastCheck?.outcome ?? 'nothing yet';
}

function restartText(episode: SessionEpisode): string {
  if (episode.restartAttempts === 0) return 'no restart attempted';
  const refused = episode.restartRefused ? `, refused: ${episode.restartRefused}` : '';
  return `${episode.restartAttempts} restart${episode.restartAttempts === 1 ? '' : 's'} attempted${refused}`;
}

function secondsSince(episode: SessionEpisode, now: number): number {
  return Math.max(0, Math.round((now - Date.parse(episode.since)) / 1000));
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? (err.cause ?? err) : err;
  return cause instanceof Error ? cause.message : String(cause);
}
