import { ApplicationFailure } from '@temporalio/activity';

export interface PostJsonOptions {
  /** Used in error messages: never a URL with credentials, never a header. */
  what: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  /** Failure type for a 4xx that retrying cannot fix; it is in the retry policy's nonRetryableErrorTypes. */
  rejectedType: string;
}

const MAX_RETRY_AFTER_SECONDS = 600;

/**
 * POSTs JSON and classifies the outcome: 2xx resolves; 408 and 429 are retried (429 after its Retry-After);
 * other 4xx are non-retryable; 5xx, timeouts and network errors are retried.
 */
export async function postJson(options: PostJsonOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    // it may have arrived: the retry carries the same idempotency key
    throw ApplicationFailure.retryable(`${options.what}: ${fetchErrorMessage(err)}`, 'NetworkError');
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return parseJson(text);
  const status = `${options.what}: HTTP ${response.status}`;
  if (response.status === 429 || response.status === 408) {
    throw ApplicationFailure.create({
      message: status,
      type: 'HttpThrottled',
      nextRetryDelay: retryAfterMs(response.headers.get('retry-after')),
    });
  }
  if (response.status >= 400 && response.status < 500) {
    throw ApplicationFailure.nonRetryable(`${status} ${text.slice(0, 200)}`.trim(), options.rejectedType);
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
