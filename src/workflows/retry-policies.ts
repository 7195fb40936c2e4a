/**
 * Every activity's timeouts and retry policy, in one place, one entry per kind of activity.
 * Worst cases: storage gives up after ~5 minutes, Vesper after ~12, alerting after ~15.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { FAILURE_TYPES } from './contracts';

export const RETRY_POLICIES = {
  /** Redis writes (local activities): short and idempotent, so retry fast at first; 12 attempts (~5 min) ride out a restart. */
  storage: {
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 12,
      // retrying cannot add a missing field
      nonRetryableErrorTypes: [FAILURE_TYPES.invalidEvent],
    },
  },
  /**
   * Calls to Vesper: each attempt bounded by VESPER_TIMEOUT_MS (≤ 25 s) inside; 8 attempts spread over ~12 min.
   * The start-to-close timeout is also how long a send caught by a worker crash waits before its retry: keep it
   * just above the HTTP timeout (npm run chaos: 2 min here held auto-replies back after each SIGKILL).
   */
  outboundHttp: {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      maximumAttempts: 8,
      // Vesper refused the request itself (4xx other than 408/429): sending it again is refused again
      nonRetryableErrorTypes: [FAILURE_TYPES.vesperRejected, FAILURE_TYPES.invalidEvent],
    },
  },
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
} as const satisfies Record<string, ActivityOptions>;
