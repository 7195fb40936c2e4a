/**
 * Every activity's timeouts and retry policy, in one place, one entry per kind of activity. Two classes of
 * failure (README, "Retry classes"):
 * - infrastructure (Redis unreachable, Vesper 5xx, timeouts): retried without a bound at a capped interval, so
 *   an outage of any length leaves runs waiting (Running, with a pending activity and its attempts in the Web
 *   UI), never a dead letter per event;
 * - failures retrying cannot fix (the types in nonRetryableErrorTypes, and a reply past its maximum age): at
 *   once a dead letter.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { FAILURE_TYPES } from './contracts';

/** Errors a storage step raises only through a bug (outages are typed StorageUnavailable, activities/failures.ts). */
const JS_ERRORS = ['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'];

/** What retrying a Redis write cannot fix. */
const STORAGE_NON_RETRYABLE = [FAILURE_TYPES.invalidEvent, FAILURE_TYPES.storageRejected];

/** Vesper refused the request itself (4xx other than 408/429), or the reply is too late to be worth sending. */
const VESPER_NON_RETRYABLE = [
  FAILURE_TYPES.vesperRejected,
  FAILURE_TYPES.invalidEvent,
  FAILURE_TYPES.replyExpired,
];

/**
 * An outward call's local phase: two attempts, each above its HTTP timeout (the attempt ends its own request), and
 * 12 s for both; the ordinary activity with the long policy takes over after (see effect-steps.ts).
 */
function localPhase(nonRetryableErrorTypes: string[]) {
  return {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '12 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 2, nonRetryableErrorTypes },
  } as const;
}

export const RETRY_POLICIES = {
  /**
   * Redis writes, first as local activities (inside the workflow task: no extra round trips) with a short bound
   * that rides out a blip; past it the workflow hands the same write to `storageOutage`.
   */
  storage: {
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '4 seconds',
      maximumAttempts: 3,
      nonRetryableErrorTypes: STORAGE_NON_RETRYABLE,
    },
  },
  /**
   * The same Redis writes as ordinary activities once the local attempts are spent: a pending activity the Web UI
   * shows with its attempt count and last failure, retried every minute at most until Redis is back.
   */
  storageOutage: {
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      // no maximumAttempts: unlimited. Outages arrive typed StorageUnavailable; a plain JavaScript error here is a
      // bug, which waiting cannot fix: a dead letter
      nonRetryableErrorTypes: [...STORAGE_NON_RETRYABLE, ...JS_ERRORS],
    },
  },
  /**
   * Calls to Vesper: each attempt bounded by VESPER_TIMEOUT_MS (≤ 25 s) inside; retried without a bound every
   * 2 minutes at most, until Vesper answers or the message is too old to answer (ReplyExpired).
   * The start-to-close timeout is also how long a send caught by a worker crash waits before its retry: keep it
   * just above the HTTP timeout (npm run chaos: 2 min here held auto-replies back after each SIGKILL).
   */
  outboundHttp: {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      // no maximumAttempts: unlimited
      nonRetryableErrorTypes: VESPER_NON_RETRYABLE,
    },
  },
  /**
   * The same send as a local activity first, inside the workflow task (the happy path: no activity task, no
   * second workflow task): up to two attempts within 12 s, which an answer inside the default VESPER_TIMEOUT_MS
   * fits; when they fail or time out (a hanging Vesper, a Retry-After longer than what is left), the workflow hands
   * the send to `outboundHttp`, whose attempts the Web UI shows. The bound also caps how long one send holds a
   * workflow-task slot of the worker (every event type waits for those).
   */
  outboundHttpLocal: localPhase(VESPER_NON_RETRYABLE),
  /** The team's alert webhook: worth waiting for, but never for long enough to hide an alert. */
  alerting: {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [FAILURE_TYPES.alertRejected],
    },
  },
  /** The alert as a local activity first (see outboundHttpLocal); then `alerting`'s attempts, in the Web UI. */
  alertingLocal: localPhase([FAILURE_TYPES.alertRejected]),
  /**
   * Vesper's session API (restart, status) for the session watchdog: a few quick attempts, then the watchdog's own
   * schedule (back-off between restarts, status checks) decides what comes next; a refusal is not retried.
   */
  sessionApi: {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumAttempts: 3,
      nonRetryableErrorTypes: [FAILURE_TYPES.vesperRejected],
    },
  },
  /**
   * Waking the session's watchdog (signal-with-start): Temporal only, so retried until it lands, first as a local
   * activity inside the event's workflow task.
   */
  watchdogNotice: {
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      // no maximumAttempts: unlimited
      nonRetryableErrorTypes: [FAILURE_TYPES.invalidEvent],
    },
  },
  watchdogNoticeLocal: localPhase([FAILURE_TYPES.invalidEvent]),
  /** The dead letter must be written: retry without limit (the run shows Running with a pending activity). */
  deadLetter: {
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      // no maximumAttempts: unlimited
    },
  },
} as const satisfies Record<string, ActivityOptions | LocalActivityOptions>;
