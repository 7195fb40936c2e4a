import bodyParser from 'koa-bodyparser';
import type { Middleware } from 'koa';

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * koa-bodyparser as a byte reader: its text mode with `encoding: null` leaves `ctx.request.body` as the exact
 * Buffer sent (after any Content-Encoding is undone), under the size limit. The signature is checked over those
 * bytes before anything parses them; its JSON mode would decode and parse first.
 */
export function rawJsonBody(limitBytes: number): Middleware {
  return bodyParser({
    enableTypes: ['text'],
    extendTypes: { text: JSON_TYPES },
    encoding: null as unknown as string, // raw-body returns a Buffer when no encoding is given
    textLimit: `${limitBytes}b`,
  });
}
