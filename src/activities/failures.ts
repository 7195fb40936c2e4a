import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';

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
