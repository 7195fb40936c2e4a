import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { FAILURE_TYPES } from '../workflows/contracts';

/**
 * Runs an activity body so that whatever it throws reaches the workflow as an ApplicationFailure carrying
 * `{ attempt }` in its details (the dead letter records it). Type, retryability and retry delay are kept.
 */
export async function reportingAttempt<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    // a cancellation (the attempt timed out, or its run was cancelled) goes back as one
    if (err instanceof CancelledFailure) throw err;
    const attempt = Context.current().info.attempt;
    if (err instanceof ApplicationFailure) {
      throw ApplicationFailure.create({
        message: err.message,
        type: err.type ?? undefined,
        nonRetryable: err.nonRetryable ?? undefined,
        nextRetryDelay: err.nextRetryDelay ?? undefined,
        details: [...(err.details ?? []), { attempt }],
        cause: err.cause,
      });
    }
    const error = err instanceof Error ? err : new Error(String(err));
    throw ApplicationFailure.create({
      message: error.message,
      type: error.name,
      details: [{ attempt }],
      cause: error,
    });
  }
}

/** Redis refusals retrying cannot change: a key holding another type, a script failing on this data. */
const PERMANENT_REDIS_ERROR = /^(WRONGTYPE|ERR user_script|ERR Error running script)/;

/**
 * Runs a Redis write so that a refusal retrying cannot change becomes a non-retryable StorageRejected (a dead
 * letter); everything else (connection refused, a command timeout, LOADING, OOM…) stays retryable: an outage.
 */
export async function classifyingStorageErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof Error && err.name === 'ReplyError' && PERMANENT_REDIS_ERROR.test(err.message)) {
      const firstLine = err.message.split('\n')[0]?.slice(0, 160) ?? 'ReplyError';
      throw ApplicationFailure.nonRetryable(firstLine, FAILURE_TYPES.storageRejected);
    }
    throw err;
  }
}
