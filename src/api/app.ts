import Koa from 'koa';
import type { Logger } from '../logger';
import { HttpError, unsupportedMediaType } from './errors';
import type { ApiMetrics } from './metrics';
import { rawJsonBody } from './raw-body';
import { receiveWebhook, type WebhookDeps } from './webhook';

export interface AppDeps extends WebhookDeps {
  webhookPath: string;
  bodyLimitBytes: number;
  metrics: ApiMetrics;
  logger: Logger;
}

/**
 * The receiver as a Koa app: the webhook and GET /healthz, nothing else (metrics and readiness are on the admin
 * listener, admin.ts). It never listens (see receiver.ts), so tests drive `app.callback()` directly.
 */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // errors past the middleware, e.g. a socket a client broke mid-answer: a log line, not Koa's stderr dump
  app.on('error', (err: Error) => deps.logger.warn({ reason: err.message }, 'connection error'));
  // outermost, so it sees the final status of every webhook request, errors included
  app.use(async (ctx, next) => {
    if (ctx.path !== deps.webhookPath) return next();
    const started = performance.now();
    await next();
    deps.metrics.observeWebhook(
      ctx.state.eventType as string | undefined,
      ctx.status,
      (performance.now() - started) / 1000,
      ctx.state.outcome as string | undefined,
    );
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const known = toHttpError(err);
      ctx.status = known ? known.status : 500;
      ctx.body = known ? { error: known.message, ...known.details } : { error: 'internal error' };
      if (known) ctx.set(known.headers);
      else deps.logger.error({ err }, 'unhandled error');
    }
  });
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== deps.webhookPath) return; // 404
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST');
      throw new HttpError(405, 'use POST');
    }
    if (!ctx.is('application/json', '+json')) throw unsupportedMediaType();
    await next();
  });
  app.use(rawJsonBody(deps.bodyLimitBytes));
  app.use((ctx) => receiveWebhook(ctx, deps));
  return app;
}

/** Our HttpErrors, and the exposed 4xx errors koa-bodyparser raises (413 too large, 400 aborted, 415 encoding). */
function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const { status, expose, type } = (err ?? {}) as { status?: unknown; expose?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  return new HttpError(
    status,
    type === 'entity.too.large' ? 'request body is too large' : (err as Error).message,
  );
}
