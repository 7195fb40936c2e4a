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

/**
 * Redis replies that say "not now" or "not like this, for anyone": loading, busy, out of memory, read-only, a
 * failover under way, and what a deployment gets wrong for every event alike (a password, an ACL, protected
 * mode, a cluster redirection). One alert for the whole deployment (the error-rate trend), not a dead letter per
 * event; the runs go on once it is fixed.
 */
const UNAVAILABLE_REPLY =
  /^(LOADING|BUSY|OOM|READONLY|MISCONF|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|NOREPLICAS|ERR max number of clients|NOAUTH|WRONGPASS|NOPERM|DENIED|MOVED|ASK|CROSSSLOT)\b/;
/** ioredis and the socket when Redis cannot be reached or does not answer in time. */
const UNREACHABLE =
  /Connection is closed|Command timed out|Stream isn't writeable|max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/i;

/**
 * Runs a Redis write and says what its failure is, so the workflow knows whether to wait or to dead-letter:
 * - Redis unreachable or saying "not now" → retryable StorageUnavailable: an outage, waited out without bound;
 * - any other Redis refusal (WRONGTYPE, a failing script, a syntax error) → non-retryable StorageRejected;
 * - anything else (a bug) is left as it is: retried by the local attempts, then a dead letter.
 * Only the first line of Redis's message is kept (a script error can quote the script).
 */
export async function classifyingStorageErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof Error) || err instanceof ApplicationFailure) throw err;
    const firstLine = err.message.split('\n')[0]?.slice(0, 160) ?? err.name;
    if (err.name === 'ReplyError' && !UNAVAILABLE_REPLY.test(err.message))
      throw ApplicationFailure.nonRetryable(firstLine, FAILURE_TYPES.storageRejected);
    if (
      err.name === 'ReplyError' ||
      err.name === 'MaxRetriesPerRequestError' ||
      UNREACHABLE.test(err.message)
    )
      throw ApplicationFailure.retryable(firstLine, FAILURE_TYPES.storageUnavailable);
    throw err;
  }
}
