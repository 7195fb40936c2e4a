/**
 * The receiver's refusals, each mapped to HTTP once, here: the error middleware in app.ts answers with
 * `toHttpResponse(err)`, the metrics count its `outcome`, and anything not in the table is a hidden 500.
 */
import { SignatureError } from './signature';

/** Why a request was refused, as the sender and the metrics see it. */
export type Refusal =
  | 'unauthorized'
  | 'invalid'
  | 'too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'too_early'
  | 'unavailable'
  | 'overloaded';

/** Seconds a sender should wait before retrying a hand-off that failed (Temporal or Redis unavailable). */
export const RETRY_AFTER_SECONDS = 5;
/** A sender whose clock is ahead of ours can retry once its stamp is inside the window. */
const TOO_EARLY_RETRY_AFTER_SECONDS = 60;
/**
 * Every hand-off slot was taken (start-slots.ts): slots free in milliseconds when Temporal keeps up, so a short
 * hint. Vesper documents no retry schedule and no Retry-After; a sender that ignores it loses nothing.
 */
const OVERLOADED_RETRY_AFTER_SECONDS = 1;

const HTTP: Record<Refusal, { status: number; headers?: Record<string, string> }> = {
  unauthorized: { status: 401 },
  invalid: { status: 400 },
  too_large: { status: 413 },
  unsupported_media_type: { status: 415 },
  method_not_allowed: { status: 405, headers: { Allow: 'POST' } },
  too_early: { status: 503, headers: { 'Retry-After': String(TOO_EARLY_RETRY_AFTER_SECONDS) } },
  unavailable: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
  overloaded: { status: 503, headers: { 'Retry-After': String(OVERLOADED_RETRY_AFTER_SECONDS) } },
};

/** A request the receiver refuses; `details` go into the JSON body (e.g. the ID a rejected event was kept under). */
export class ReceiverError extends Error {
  override name = 'ReceiverError';
  constructor(
    readonly refusal: Refusal,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A signed body that is not a usable event (not JSON, a missing field…): the message names the problem. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

export interface HttpRefusal {
  status: number;
  outcome: Refusal;
  headers: Record<string, string>;
  body: { error: string } & Record<string, string>;
}

/** The answer to an error the middleware caught; undefined for an unexpected one (a 500, details hidden). */
export function toHttpResponse(err: unknown): HttpRefusal | undefined {
  const known = asReceiverError(err);
  if (!known) return undefined;
  const { status, headers = {} } = HTTP[known.refusal];
  return { status, outcome: known.refusal, headers, body: { error: known.message, ...known.details } };
}

function asReceiverError(err: unknown): ReceiverError | undefined {
  if (err instanceof ReceiverError) return err;
  if (err instanceof SignatureError) return new ReceiverError('unauthorized', err.message);
  if (err instanceof InvalidEventError) return new ReceiverError('invalid', err.message);
  return fromBodyReader(err);
}

/**
 * What koa-bodyparser (raw-body, inflation, zlib) throws is the sender's fault, not ours: a body over the limit,
 * one cut short, one that does not decode, a Content-Encoding we do not know.
 */
function fromBodyReader(err: unknown): ReceiverError | undefined {
  const { status, expose, type, code, message } = (err ?? {}) as {
    status?: unknown;
    expose?: unknown;
    type?: unknown;
    code?: unknown;
    message?: unknown;
  };
  if (type === 'entity.too.large') return new ReceiverError('too_large', 'request body is too large');
  if (status === 415) return new ReceiverError('unsupported_media_type', String(message));
  // zlib (Z_DATA_ERROR, Z_BUF_ERROR…) and brotli (ERR__ERROR_FORMAT_…) decoding errors
  if (status === undefined && typeof code === 'string' && /^(Z_|ERR__)/.test(code))
    return new ReceiverError('invalid', 'request body could not be decoded (Content-Encoding)');
  // anything else the reader exposes (a body cut short, a size that does not match its Content-Length)
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true)
    return new ReceiverError('invalid', String(message));
  return undefined;
}
