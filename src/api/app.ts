import { createHash } from 'node:crypto';
import Koa, { type Context } from 'koa';
import type { Logger } from '../logger';
import { buildEventKey } from '../workflows/contracts';
import { HttpError, serviceUnavailable, unauthorized, unsupportedMediaType } from './errors';
import { parseEvent } from './parse-event';
import { readRawBody } from './raw-body';
import { SIGNATURE_HEADER, SignatureError, verifySignature } from './signature';
import type { StartEvent } from './start-event';

export interface AppDeps {
  webhookPath: string;
  webhookSecrets: readonly string[];
  bodyLimitBytes: number;
  startEvent: StartEvent;
  logger: Logger;
}

const RETRY_AFTER_SECONDS = 5;
const SENDER_EVENT_ID_HEADERS = ['x-vesper-event-id', 'webhook-id'];

/** The receiver as a Koa app; it never listens (see server.ts), so tests drive `app.callback()` directly. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const known = err instanceof HttpError;
      ctx.status = known ? err.status : 500;
      ctx.body = { error: known ? err.message : 'internal error' };
      if (known) ctx.set(err.headers);
      if (!known) deps.logger.error({ err }, 'unhandled error');
    }
  });
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== deps.webhookPath) return next();
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST');
      throw new HttpError(405, 'use POST');
    }
    await receiveWebhook(ctx, deps);
  });
  return app;
}

async function receiveWebhook(ctx: Context, deps: AppDeps): Promise<void> {
  const started = performance.now();
  if (!ctx.is('application/json', '+json')) throw unsupportedMediaType();
  const rawBody = await readRawBody(ctx.req, deps.bodyLimitBytes);
  try {
    verifySignature(rawBody, ctx.get(SIGNATURE_HEADER) || undefined, deps.webhookSecrets);
  } catch (err) {
    if (err instanceof SignatureError) {
      deps.logger.warn({ outcome: 'unauthorized', problem: err.problem }, 'webhook rejected');
      throw unauthorized(err.message);
    }
    throw err;
  }
  const event = parseEvent(rawBody);
  const eventKey = buildEventKey({
    type: event.type,
    sessionId: event.data.sessionId,
    messageId: event.data.messageId,
    timestamp: event.timestamp,
    bodySha256: createHash('sha256').update(rawBody).digest('hex'),
    senderEventId: SENDER_EVENT_ID_HEADERS.map((h) => ctx.get(h)).find(Boolean),
  });
  let outcome;
  try {
    outcome = await deps.startEvent({ eventKey, event, receivedAt: new Date().toISOString() });
  } catch (err) {
    deps.logger.error(
      { eventKey, outcome: 'unavailable', err: { message: (err as Error).message } },
      'hand-off failed',
    );
    throw serviceUnavailable(RETRY_AFTER_SECONDS);
  }
  ctx.status = outcome === 'accepted' ? 202 : 200;
  ctx.body = { status: outcome, workflowId: eventKey };
  deps.logger.info(
    { eventKey, type: event.type, outcome, ms: Math.round(performance.now() - started) },
    'webhook',
  );
}
