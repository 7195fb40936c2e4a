/** (a) The ceiling: a Koa endpoint that only verifies the HMAC over the raw body, parses and answers 200. */
import http from 'node:http';
import Koa from 'koa';
import { rawJsonBody } from '../../src/api/raw-body';
import { verifySignature } from '../../src/api/signature';

const secret = process.env.WEBHOOK_SECRET ?? '';
const app = new Koa();
app.use(rawJsonBody(1024 * 1024));
app.use((ctx) => {
  try {
    verifySignature(ctx.request.body as Buffer, ctx.get('x-vesper-signature') || undefined, [secret]);
  } catch {
    ctx.status = 401;
    return;
  }
  JSON.parse((ctx.request.body as Buffer).toString('utf8'));
  ctx.body = { status: 'ok' };
});
http.createServer({ keepAliveTimeout: 65_000 }, app.callback()).listen(Number(process.env.PORT), '127.0.0.1');
