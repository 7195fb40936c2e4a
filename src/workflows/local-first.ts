/**
 * A step tried as a local activity first and, when its short bound is spent by something waiting can fix, handed
 * to the same activity as an ordinary one. The local attempts run inside the workflow task: no activity task, no
 * extra workflow task, one marker in history (the happy path of an event is one workflow task). The ordinary
 * activity is what an operator sees in the Web UI: a pending activity with its attempts and last failure.
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, log } from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';

/** Whether a failure of the local attempts goes on as an ordinary activity; otherwise it is thrown as it is. */
export type HandOver = (failure: ActivityFailure) => boolean;

type Step = (...args: never[]) => Promise<unknown>;

/**
 * `name` run through `local` (a proxyLocalActivities), then, when `handOver` says so, through `ordinary` (a
 * proxyActivities): the same activity, so the same input and the same idempotency (marker, Idempotency-Key).
 * `enabled` is read at the first failure only, for the patch that guards the hand-over (no marker on success).
 */
export function localFirst<T extends Record<K, Step>, K extends keyof T & string>(
  name: K,
  local: T,
  ordinary: T,
  handOver: HandOver,
  enabled: () => boolean = () => true,
): T[K] {
  const run = async (...args: Parameters<T[K]>) => {
    try {
      return await local[name](...args);
    } catch (err) {
      if (isCancellation(err) || !enabled()) throw err;
      const failure = asActivityFailure(err, name);
      if (!handOver(failure)) throw failure;
      log.warn('local attempts spent: going on as an ordinary activity', {
        step: name,
        error: failure.message,
      });
      return await ordinary[name](...args);
    }
  };
  return run as unknown as T[K];
}

/** The failures retrying can fix: everything but a non-retryable one (by flag or by the policy's list). */
export function retryable(nonRetryableTypes: readonly string[]): HandOver {
  return (failure) => {
    const cause = failure.cause;
    if (!(cause instanceof ApplicationFailure)) return true;
    return !cause.nonRetryable && !nonRetryableTypes.includes(cause.type ?? '');
  };
}

/**
 * A local activity's failure as the workflow sees an ordinary one's. The SDK hands a local activity's
 * non-retryable failure over bare (its ApplicationFailure, not wrapped in an ActivityFailure), which the
 * dead-letter path would not recognise: the run would fail without its dead letter.
 */
export function asActivityFailure(err: unknown, activityType: string): ActivityFailure {
  if (err instanceof ActivityFailure) return err;
  const cause = err instanceof Error ? err : new Error(String(err));
  const retryState =
    cause instanceof ApplicationFailure && cause.nonRetryable
      ? RetryState.NON_RETRYABLE_FAILURE
      : RetryState.MAXIMUM_ATTEMPTS_REACHED;
  return new ActivityFailure('Local activity failed', activityType, undefined, retryState, undefined, cause);
}

/** The ApplicationFailure type of an activity's failure (or of the failure itself), if it has one. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function isCancellation(err: unknown): boolean {
  return (
    err instanceof CancelledFailure ||
    (err instanceof ActivityFailure && err.cause instanceof CancelledFailure)
  );
}
