import bodyParser from 'koa-bodyparser';
import type { Middleware } from 'koa';

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
      throw err; // mapped to 400/413/415 in errors.ts
    }
    await next();
  };
}
