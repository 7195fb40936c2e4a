/**
 * The storage steps of the event workflow (Redis writes), each tried as a local activity first and, when an
 * outage outlasts that, as an ordinary activity that waits it out.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import { RetryState, TimeoutFailure } from '@temporalio/common';
import type { StorageActivities } from '../activities';
import { FAILURE_TYPES } from './contracts';
import { PATCHES } from './patches';
import { RETRY_POLICIES } from './retry-policies';

// Redis writes are short and idempotent: local activities, run by the worker inside the workflow task, save
// the server two tasks and four history events each (measured with npm run bench: server CPU per event -25 %).
// Past their short bound (an outage, not a blip) the same write goes on as an ordinary activity: see stored().
const localStorage = proxyLocalActivities<StorageActivities>(RETRY_POLICIES.storage);
const outageStorage = proxyActivities<StorageActivities>(RETRY_POLICIES.storageOutage);
export const { releaseAutoReplyCooldown } = localStorage;

/**
 * A storage step: local attempts first; when an outage spent them (see outage()), the same write as an ordinary
 * activity that retries until Redis answers, shown in the Web UI as a pending activity with its attempts and last
 * failure.
 */
function stored<K extends 'saveMessage' | 'updateMessageStatus' | 'recordSessionState' | 'recordEvent'>(
  name: K,
): StorageActivities[K] {
  const run = async (...args: Parameters<StorageActivities[K]>) => {
    const call = (proxy: StorageActivities) =>
      (proxy[name] as (...a: Parameters<StorageActivities[K]>) => ReturnType<StorageActivities[K]>)(...args);
    try {
      return await call(localStorage);
    } catch (err) {
      if (isCancellation(err) || !patched(PATCHES.storageOutage)) throw err;
      const failure = asActivityFailure(err, name);
      if (!outage(failure)) throw failure;
      log.warn('storage outage: waiting as an ordinary activity', { step: name, error: failure.message });
      return await call(outageStorage);
    }
  };
  return run as unknown as StorageActivities[K];
}

/**
 * A local activity's failure as the workflow sees an ordinary one's. The SDK hands a local activity's
 * non-retryable failure over bare (its ApplicationFailure, not wrapped in an ActivityFailure), which the
 * dead-letter path would not recognise: the run would fail without its dead letter.
 */
function asActivityFailure(err: unknown, activityType: string): ActivityFailure {
  if (err instanceof ActivityFailure) return err;
  const cause = err instanceof Error ? err : new Error(String(err));
  const retryState =
    cause instanceof ApplicationFailure && cause.nonRetryable
      ? RetryState.NON_RETRYABLE_FAILURE
      : RetryState.MAXIMUM_ATTEMPTS_REACHED;
  return new ActivityFailure('Local activity failed', activityType, undefined, retryState, undefined, cause);
}

/**
 * Whether the local attempts were spent by an outage, which the ordinary activity waits out: Redis unreachable
 * or not answering (StorageUnavailable, see activities/failures.ts) or an attempt timing out. Anything else (a
 * refusal, a bug) is a dead letter: visible, alerted, and resubmittable once fixed, never retried forever.
 */
function outage(failure: ActivityFailure): boolean {
  const cause = failure.cause;
  if (cause instanceof TimeoutFailure) return true;
  return cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.storageUnavailable;
}

function isCancellation(err: unknown): boolean {
  return (
    err instanceof CancelledFailure ||
    (err instanceof ActivityFailure && err.cause instanceof CancelledFailure)
  );
}

export const saveMessage = stored('saveMessage');
export const updateMessageStatus = stored('updateMessageStatus');
export const recordSessionState = stored('recordSessionState');
export const recordEvent = stored('recordEvent');
