import bodyParser from 'koa-bodyparser';
import type { Middleware } from 'koa';
import { HttpError } from './errors';

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * koa-bodyparser as a byte reader: its text mode with `encoding: null` leaves `ctx.request.body` as the exact
 * Buffer sent (after any Content-Encoding is undone), under the size limit. The signature is checked over those
 * bytes before anything parses them; its JSON mode would decode and parse first.
 */
export function rawJsonBody(limitBytes: number): Middleware {
  const read = bodyParser({
    enableTypes: ['text'],
    extendTypes: { text: JSON_TYPES },
    encoding: null as unknown as string, // raw-body returns a Buffer when no encoding is given
    textLimit: `${limitBytes}b`,
  });
  return async (ctx, next) => {
    try {
      await read(ctx, async () => undefined);
    } catch (err) {
      // the reader stopped mid-body and paused the request: close this connection after the answer, and drain
      // what is still coming (the request timeout bounds it) so the sender's hang-up is seen
      ctx.set('Connection', 'close');
      ctx.req.resume();
      throw asClientError(err);
    }
    await next();
  };
}

/** The sender's fault, not ours: a body that does not decode, and a Content-Encoding we do not know (415). */
function asClientError(err: unknown): unknown {
  const { status, expose, code } = (err ?? {}) as { status?: unknown; expose?: unknown; code?: unknown };
  if (status === 415 && expose === undefined) return new HttpError(415, (err as Error).message);
  // zlib (Z_DATA_ERROR, Z_BUF_ERROR…) and brotli (ERR__ERROR_FORMAT_…) decoding errors
  if (status === undefined && typeof code === 'string' && /^(Z_|ERR__)/.test(code))
    return new HttpError(400, 'request body could not be decoded (Content-Encoding)');
  return err;
}
