import Koa from 'koa';
import type { ApiConfig } from '../config';
import type { Logger } from '../logger';
import { ReceiverError, toHttpResponse } from './errors';
import type { ApiMetrics } from './metrics';
import { rawJsonBody } from './raw-body';
import { createStartSlots } from './start-slots';
import { receiveWebhook, type ReceiverState, type WebhookPorts } from './webhook';

/** What the app is built from: its settings, and the ports it hands events to (real ones in receiver.ts). */
export interface AppDeps extends WebhookPorts {
  config: Pick<
    ApiConfig,
    'webhookPath' | 'webhookSecrets' | 'bodyLimitBytes' | 'eventWindow' | 'maxStartsInFlight'
  >;
  metrics: ApiMetrics;
  logger: Logger;
}

/**
 * The receiver as a Koa app: the webhook and GET /healthz, nothing else (metrics and readiness are on the admin
 * listener). It never listens (receiver.ts serves it), so tests drive `app.callback()` directly.
 */
export function createApp(deps: AppDeps): Koa<ReceiverState> {
  const { config, logger, metrics } = deps;
  const app = new Koa<ReceiverState>();
  // errors past the middleware, e.g. a socket a client broke mid-answer: a log line, not Koa's stderr dump
  app.on('error', (err: Error) => logger.warn({ reason: err.message }, 'connection error'));
  // outermost, so it sees the final status and outcome of every webhook request, refusals included
  app.use(async (ctx, next) => {
    if (ctx.path !== config.webhookPath) return next();
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    metrics.observeWebhook(ctx.state.eventType, ctx.state.outcome ?? `http_${ctx.status}`, seconds);
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const refusal = toHttpResponse(err);
      if (!refusal) logger.error({ err }, 'unhandled error');
      ctx.status = refusal?.status ?? 500;
      ctx.body = refusal?.body ?? { error: 'internal error' };
      // even when the webhook had already named an outcome: what was answered is what is counted
      ctx.state.outcome = refusal?.outcome;
      if (refusal) ctx.set(refusal.headers);
    }
  });
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== config.webhookPath) return; // 404
    if (ctx.method !== 'POST') throw new ReceiverError('method_not_allowed', 'use POST');
    if (!ctx.is('application/json', '+json'))
      throw new ReceiverError('unsupported_media_type', 'content type must be application/json');
    await next();
  });
  app.use(rawJsonBody(config.bodyLimitBytes));
  // one app per receiver process (receiver.ts), so one bound on the process's hand-offs
  const webhookDeps = {
    ...deps,
    startSlots: createStartSlots(config.maxStartsInFlight, metrics),
    handOffs: new Map(),
  };
  app.use((ctx) => receiveWebhook(ctx, webhookDeps));
  return app;
}
