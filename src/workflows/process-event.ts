import {
  ActivityFailure,
  ApplicationFailure,
  log,
  patched,
  proxyActivities,
  proxySinks,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertActivities, DeadLetterActivities } from '../activities';
import type { SessionNoticeInput } from '../activities/session-watchdog';
import {
  eventTypeSpec,
  FAILURE_TYPES,
  SEARCH_ATTRIBUTES,
  UNKNOWN_TYPE_SPEC,
  type Handling,
  type AutoReplyOutcome,
  type ProcessEventInput,
  type ProcessEventResult,
  type ProcessingSinks,
} from './contracts';
import { alertTeam, notifySessionWatchdog, sendAutoReply } from './effect-steps';
import { failureType } from './local-first';
import { PATCHES } from './patches';
import { RETRY_POLICIES } from './retry-policies';
import {
  recordEvent,
  recordSessionState,
  releaseAutoReplyCooldown,
  saveMessage,
  updateMessageStatus,
} from './storage-steps';

// the dead letter's own alert (before grouped alerts, 0.3) stays an ordinary activity, as recorded
const { alertTeam: alertTeamOrdinary, reportDeadLetter } = proxyActivities<AlertActivities>(
  RETRY_POLICIES.alerting,
);
const { recordDeadLetter, resolveDeadLetter } = proxyActivities<DeadLetterActivities>(
  RETRY_POLICIES.deadLetter,
);

// fire-and-forget calls into the worker's metrics; never recorded in history, never replayed
const { metrics } = proxySinks<ProcessingSinks>();

/**
 * One run per Vesper event; the workflow ID is the event key, so a redelivery never starts a second run.
 * A step that fails for good is compensated: dead letter recorded, team alerted once, run Failed.
 */
export async function processWhatsappEvent(input: ProcessEventInput): Promise<ProcessEventResult> {
  let result: ProcessEventResult;
  try {
    result = await route(input);
  } catch (err) {
    if (err instanceof ActivityFailure) return deadLetter(input, err);
    throw err;
  }
  const { runId, workflowId } = workflowInfo();
  if (isLaterRun(input)) await resolveDeadLetter({ workflowId, runId });
  metrics.eventFinished(finished(input, 'completed'));
  return result;
}

/**
 * A later run of an event that may have a dead letter, which its success closes: a reset (redrive) gives the
 * execution a new run ID; a resubmission (a fresh run of the stored event, even after the old run is past
 * retention) says so in its input.
 */
function isLaterRun(input: ProcessEventInput): boolean {
  const { runId, originalExecutionRunId } = workflowInfo();
  return runId !== originalExecutionRunId || input.resubmission !== undefined;
}

/** What each kind of event does; the kinds come from the registry (event-types.ts). */
async function route(input: ProcessEventInput): Promise<ProcessEventResult> {
  const { event, eventKey } = input;
  const handling: Handling = (eventTypeSpec(event.type) ?? UNKNOWN_TYPE_SPEC).handling;
  switch (handling) {
    case 'save-and-reply': {
      await saveMessage(input);
      const autoReply = await replyOnce(input);
      return { eventKey, outcome: 'processed', autoReply };
    }
    case 'apply-status':
      await updateMessageStatus(input);
      return { eventKey, outcome: 'processed' };
    case 'record-session':
      if (patched(PATCHES.sessionWatchdog)) {
        // the session's watchdog decides what is news (grace, flapping, escalation); it needs Temporal only, so
        // neither step waits for the other
        await settledBoth(recordSessionState(input), notifySessionWatchdog(sessionNotice(input)));
      } else if (event.type === 'session.disconnected' && patched(PATCHES.disconnectAlert)) {
        // the alert must not wait for Redis: a disconnect during an outage is still news
        await settledBoth(recordSessionState(input), alertTeam(sessionDisconnectedAlert(input)));
      } else {
        await recordSessionState(input);
        if (event.type === 'session.disconnected') await alertTeam(sessionDisconnectedAlert(input));
      }
      return { eventKey, outcome: 'processed' };
    case 'record': {
      const category = event.type.startsWith('group.') ? 'group' : 'unhandled';
      if (category === 'unhandled') log.warn('unhandled event type recorded', { eventKey, type: event.type });
      await recordEvent({ ...input, category });
      return { eventKey, outcome: 'recorded' };
    }
    default:
      return unhandled(handling);
  }
}

/** A handling kind added to the registry but not to route() fails the typecheck here. */
function unhandled(handling: never): never {
  throw ApplicationFailure.nonRetryable(
    `no route for handling ${String(handling)}`,
    FAILURE_TYPES.invalidEvent,
  );
}

/** Both steps run to their end; the first failure (in argument order) is thrown after, a second one logged. */
async function settledBoth(a: Promise<unknown>, b: Promise<unknown>): Promise<void> {
  const failures = (await Promise.allSettled([a, b])).flatMap((o) =>
    o.status === 'rejected' ? [o.reason] : [],
  );
  if (failures[1] !== undefined) log.error('second step failed too', { error: String(failures[1]) });
  if (failures[0] !== undefined) throw failures[0];
}

/**
 * The auto-reply; when it fails for good, the contact's cooldown is given back before the dead letter. A later
 * run (redrive, resubmission) that finds the reply past AUTO_REPLY_MAX_AGE_SECONDS has nothing left to send: it
 * completes with `expired`, closing the dead letter, instead of failing again forever.
 */
async function replyOnce(input: ProcessEventInput): Promise<AutoReplyOutcome> {
  try {
    return await sendAutoReply(input);
  } catch (err) {
    if (err instanceof ActivityFailure && patched(PATCHES.releaseCooldown)) {
      // the send's failure is what the dead letter must show, whatever happens to the release
      await releaseAutoReplyCooldown(input).catch((releaseFailure: unknown) =>
        log.warn('cooldown release failed', { eventKey: input.eventKey, error: String(releaseFailure) }),
      );
    }
    if (isLaterRun(input) && failureType(err) === FAILURE_TYPES.replyExpired) return 'expired';
    throw err;
  }
}

const MAX_NOTICE_TEXT = 200;

function sessionNotice({ event, eventKey }: ProcessEventInput): SessionNoticeInput {
  const { sessionId, reason, lastSeen } = event.data;
  return {
    sessionId: sessionId ?? '',
    notice: {
      eventKey,
      type: event.type === 'session.connected' ? 'session.connected' : 'session.disconnected',
      timestamp: event.timestamp,
      // Vesper's free text, repeated in every alert the watchdog sends: bounded
      ...(typeof reason === 'string' && { reason: bounded(reason) }),
      ...(typeof lastSeen === 'string' && { lastSeen: bounded(lastSeen) }),
    },
  };
}

/** At most MAX_NOTICE_TEXT whole characters (an emoji is never cut in half). */
function bounded(text: string): string {
  return text.length <= MAX_NOTICE_TEXT ? text : Array.from(text).slice(0, MAX_NOTICE_TEXT).join('');
}

/** Before 0.5: one alert per disconnect, at once (runs recorded then replay it). */
function sessionDisconnectedAlert({ event, eventKey }: ProcessEventInput) {
  const { sessionId, reason, lastSeen } = event.data;
  return {
    alertKey: `session-disconnected:${eventKey}`,
    text: `WhatsApp session ${sessionId} disconnected (${reason ?? 'no reason given'}); last seen ${lastSeen ?? 'unknown'}. Reconnect it or messages stop arriving.`,
    fields: {
      kind: 'session.disconnected',
      sessionId: sessionId ?? '',
      reason: reason ?? '',
      lastSeen: lastSeen ?? '',
    },
  };
}

/**
 * Compensation, in the role of a dead-letter queue: record, alert, mark for the Web UI, fail visibly. The alert
 * does not wait for the record (Redis may be what failed): it joins the alert group of its (step, error type),
 * which needs Temporal only (see dead-letter-alerts.ts).
 */
async function deadLetter(input: ProcessEventInput, failure: ActivityFailure): Promise<never> {
  const { workflowId, runId } = workflowInfo();
  const step = failure.activityType;
  const cause = failure.cause;
  const error = cause?.message ?? failure.message;
  const errorType = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : (cause?.name ?? 'Error');
  const failedAt = new Date().toISOString();
  const letter = {
    workflowId,
    runId,
    eventKey: input.eventKey,
    event: input.event,
    receivedAt: input.receivedAt,
    step,
    error,
    errorType,
    attempts: attemptsOf(cause),
    retryState: failure.retryState ?? 'UNKNOWN',
    failedAt,
  };
  const markForWebUi = () =>
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.deadLettered, value: true },
      { key: SEARCH_ATTRIBUTES.failedStep, value: step },
    ]);
  if (patched(PATCHES.groupedAlerts)) {
    markForWebUi();
    const report = { workflowId, runId, eventType: input.event.type, step, errorType, error, failedAt };
    await Promise.all([
      recordDeadLetter(letter),
      reportDeadLetter(report).catch((alertFailure: unknown) =>
        // the dead letter is recorded and the run fails either way; a lost alert must not hide the original error
        log.error('dead-letter report failed', { workflowId, error: String(alertFailure) }),
      ),
    ]);
  } else {
    await recordDeadLetter(letter);
    markForWebUi();
    await alertTeamOrdinary({
      alertKey: `dead-letter:${workflowId}:${runId}`,
      text: `Dead letter: ${input.event.type} event ${input.eventKey} failed at ${step}: ${error}. Fix the cause, then redrive: temporal workflow reset -w ${shellQuoted(workflowId)} -t FirstWorkflowTask --reason redrive`,
      fields: { kind: 'dead-letter', workflowId, runId, step, error, eventType: input.event.type },
    }).catch((alertFailure: unknown) =>
      log.error('dead-letter alert failed', { workflowId, error: String(alertFailure) }),
    );
  }
  metrics.eventFinished({ ...finished(input, 'dead-lettered'), failedStep: step });
  throw ApplicationFailure.nonRetryable(`${step} failed for good: ${error}`, FAILURE_TYPES.deadLettered);
}

function finished({ event, receivedAt }: ProcessEventInput, outcome: 'completed' | 'dead-lettered') {
  return { type: event.type, eventTimestamp: event.timestamp, receivedAt, outcome };
}

/** Activities put `{ attempt }` in their failure details (see activities/failures.ts). */
function attemptsOf(cause: Error | undefined): number {
  if (!(cause instanceof ApplicationFailure)) return 0;
  const detail = cause.details?.find(
    (d): d is { attempt: number } => typeof (d as { attempt?: unknown })?.attempt === 'number',
  );
  return detail?.attempt ?? 0;
}

/** A workflow ID as one shell word, whatever it holds. */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
