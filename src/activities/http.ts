import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';

export interface PostJsonOptions {
  /** Used in error messages: never a URL with credentials, never a header. */
  what: string;
  url: string;
  headers: Record<string, string>;
  /** Sent as JSON; a GET has none (see getJson). */
  body: unknown;
  timeoutMs: number;
  /** Failure type for a 4xx that retrying cannot fix; it is in the retry policy's nonRetryableErrorTypes. */
  rejectedType: string;
  /** The activity's cancellation: a cancelled or timed-out attempt stops its request, never overlaps its retry. */
  cancelled?: AbortSignal;
}

const MAX_RETRY_AFTER_SECONDS = 600;
const RETRIED_4XX = new Set([408, 409, 429]);

/**
 * POSTs JSON and classifies the outcome: 2xx resolves; 408, 409 and 429 are retried (after any Retry-After;
 * 409 is an idempotency key still in flight from an earlier attempt); other 4xx are non-retryable; 5xx,
 * timeouts and network errors are retried.
 */
export function postJson(options: PostJsonOptions): Promise<unknown> {
  return requestJson('POST', options);
}

/** A GET, its outcome classified as postJson's. */
export function getJson(options: Omit<PostJsonOptions, 'body'>): Promise<unknown> {
  return requestJson('GET', { ...options, body: undefined });
}

async function requestJson(method: 'GET' | 'POST', options: PostJsonOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method,
      headers:
        method === 'POST' ? { 'content-type': 'application/json', ...options.headers } : options.headers,
      body: method === 'POST' ? JSON.stringify(options.body) : undefined,
      signal: options.cancelled
        ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.cancelled])
        : AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    if (options.cancelled?.aborted) throw options.cancelled.reason ?? err;
    // it may have arrived: the retry carries the same idempotency key
    throw ApplicationFailure.retryable(`${options.what}: ${fetchErrorMessage(err)}`, 'NetworkError');
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return parseJson(text);
  const status = `${options.what}: HTTP ${response.status}`;
  if (RETRIED_4XX.has(response.status)) {
    throw ApplicationFailure.create({
      message: status,
      type: 'HttpThrottled',
      nextRetryDelay: retryAfterMs(response.headers.get('retry-after')),
    });
  }
  if (response.status >= 400 && response.status < 500) {
    // the status and the API's error code only: a body can echo the recipient's number into dead letters and alerts
    throw ApplicationFailure.nonRetryable(`${status}${errorCode(text)}`, options.rejectedType);
  }
  throw ApplicationFailure.retryable(status, 'HttpServerError');
}

/** Retry-After as seconds or an HTTP date, capped; undefined leaves the delay to the retry policy. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - now) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS) * 1000;
}

/** `{"error":"invalid_session"}` → ` (invalid_session)`; free text is left out. */
function errorCode(text: string): string {
  const parsed = parseJson(text) as { error?: unknown; code?: unknown } | undefined;
  const code = typeof parsed === 'object' && parsed !== null ? (parsed.code ?? parsed.error) : undefined;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? ` (${code})` : '';
}

function fetchErrorMessage(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timed out';
  const cause = (err as { cause?: { code?: string } })?.cause;
  return cause?.code ?? (err instanceof Error ? err.message : String(err));
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/**
 * An Idempotency-Key header value for any key: fetch refuses header values above U+00FF (an event key can hold
 * any Unicode), so the key travels as its SHA-256 digest, the same for every attempt.
 */
export function asciiIdempotencyKey(key: string): string {
  return `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

/** The running activity's cancellation signal; undefined outside an activity (the benchmark's seed peer). */
export function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
