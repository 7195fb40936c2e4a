import type { ParameterizedContext } from 'koa';
import type { ApiConfig } from '../config';
import type { Logger } from '../logger';
import { eventKeyOf, LEGACY_EVENT_ID_HEADERS, legacyEventKeys } from './event-key';
import { eventTiming } from './event-window';
import { InvalidEventError, ReceiverError } from './errors';
import type { FindLegacyRun } from './legacy-keys';
import { parseEvent } from './parse-event';
import type { KeepRejected } from './rejected-events';
import { SIGNATURE_HEADER, SignatureError, verifySignature } from './signature';
import type { StartEvent, StartOutcome } from './start-event';
import type { StartSlots } from './start-slots';
import { EVENT_INPUT_LIMIT_BYTES } from '../workflows/contracts';

/** What a webhook request leaves for the middleware around it (metrics): set as far as the request got. */
export interface ReceiverState {
  eventType?: string;
  /** accepted, duplicate, expired, or the refusal (errors.ts). */
  outcome?: string;
}

/** Where the webhook hands events: Temporal, and Redis for those it keeps instead. */
export interface WebhookPorts {
  startEvent: StartEvent;
  keepRejected: KeepRejected;
  findLegacyRun: FindLegacyRun;
}

interface WebhookDeps extends WebhookPorts {
  config: Pick<ApiConfig, 'webhookSecrets' | 'eventWindow' | 'maxStartsInFlight'>;
  /** Bounds the hand-offs in flight: only they take a slot, every earlier answer is given without one. */
  startSlots: StartSlots;
  /** The hand-offs in flight in this process, by event key: a copy arriving meanwhile waits for its original's. */
  handOffs: Map<string, Promise<HandOff>>;
  logger: Logger;
}

/** How a hand-off ended: started, or found started before (under this key or a legacy one). */
interface HandOff {
  outcome: StartOutcome;
  workflowId: string;
}

type WebhookContext = ParameterizedContext<ReceiverState>;

/** Verify the bytes, then parse, then hand off durably; answer only after the hand-off. */
export async function receiveWebhook(ctx: WebhookContext, deps: WebhookDeps): Promise<void> {
  const { config } = deps;
  const started = performance.now();
  const receivedAt = new Date().toISOString();
  const rawBody = ctx.request.body;
  if (!Buffer.isBuffer(rawBody)) throw new ReceiverError('invalid', 'request body could not be read');
  try {
    verifySignature(rawBody, ctx.get(SIGNATURE_HEADER) || undefined, config.webhookSecrets);
  } catch (err) {
    if (err instanceof SignatureError)
      deps.logger.warn({ outcome: 'unauthorized', problem: err.problem }, 'webhook refused');
    throw err;
  }

  let event;
  try {
    event = parseEvent(rawBody);
    ctx.state.eventType = event.type;
  } catch (err) {
    if (!(err instanceof InvalidEventError)) throw err;
    throw await keepInvalid(ctx, deps, err, rawBody, receivedAt);
  }

  const timing = eventTiming(event.timestamp, config.eventWindow);
  if (timing === 'too-new') {
    // the sender's clock is ahead of ours: not now, but a retry once its stamp is inside the window will do
    deps.logger.warn({ outcome: 'too_early', type: event.type }, 'event stamped ahead of our clock');
    throw new ReceiverError(
      'too_early',
      `event timestamp is more than ${config.eventWindow.maxFutureSkewSeconds} s ahead of our clock; retry later`,
    );
  }
  if (timing === 'too-old') {
    await keepExpired(ctx, deps, rawBody, receivedAt);
    return;
  }

  const eventKey = eventKeyOf(event, rawBody);
  const input = { eventKey, event, receivedAt };
  if (mayEncodePastLimit(rawBody) && Buffer.byteLength(JSON.stringify(input)) > EVENT_INPUT_LIMIT_BYTES) {
    // a body inside the limit can still encode larger (`1e20` is 4 bytes in, 21 out): Temporal would refuse it
    // on every redelivery, so it is kept and refused for good
    const reason = `the event encodes to more than Temporal's payload limit allows (${EVENT_INPUT_LIMIT_BYTES} bytes)`;
    const rejectedId = await keep(ctx, deps, reason, rawBody, receivedAt);
    deps.logger.warn({ outcome: 'too_large', rejectedId }, 'webhook too large for Temporal, kept');
    throw new ReceiverError('too_large', reason, { rejectedId });
  }
  // a copy of an event this receiver is handing off right now (a redelivery storm, two deliveries crossing): its
  // original's hand-off answers it, without a slot of its own and without a second call to Temporal
  const original = deps.handOffs.get(eventKey);
  if (original) {
    const { workflowId } = await original.catch(() => {
      throw unavailable();
    });
    answer(ctx, { outcome: 'duplicate', workflowId });
    deps.logger.info({ eventKey, type: event.type, outcome: 'duplicate', ms: elapsed(started) }, 'webhook');
    return;
  }
  // the hand-off's Temporal calls (the legacy look-up too) wait out the start timeout when Temporal is saturated:
  // with every slot taken, refuse now rather than queue behind them
  const release = deps.startSlots.take();
  if (!release) {
    // debug: under overload a line per refusal costs CPU when it is scarcest; the counter in /metrics is the signal
    deps.logger.debug({ eventKey, outcome: 'overloaded' }, 'hand-off refused: every start slot is taken');
    throw new ReceiverError(
      'overloaded',
      `${config.maxStartsInFlight} events are being handed off already; retry later`,
    );
  }
  const handOff = (async (): Promise<HandOff> => {
    // a run a receiver before 0.2 started under the old key form: this is a redelivery of its event
    const legacyRun = await deps.findLegacyRun(legacyEventKeys(event, legacyHeaderEventId(ctx)), event);
    if (legacyRun) return { outcome: 'duplicate', workflowId: legacyRun };
    return { outcome: await deps.startEvent(input), workflowId: eventKey };
  })();
  deps.handOffs.set(eventKey, handOff);
  let ended: HandOff;
  try {
    ended = await handOff;
  } catch (err) {
    deps.logger.error(
      { eventKey, outcome: 'unavailable', reason: (err as Error).message },
      'hand-off failed',
    );
    throw unavailable();
  } finally {
    deps.handOffs.delete(eventKey);
    release();
  }
  answer(ctx, ended);
  deps.logger.info({ eventKey, type: event.type, outcome: ended.outcome, ms: elapsed(started) }, 'webhook');
}

function answer(ctx: WebhookContext, { outcome, workflowId }: HandOff): void {
  ctx.state.outcome = outcome;
  ctx.status = outcome === 'accepted' ? 202 : 200;
  ctx.body = { status: outcome, workflowId };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/**
 * Whether the workflow input could encode past the limit, without encoding it (the hot path: Temporal's converter
 * encodes it anyway). Parsing and encoding again grows JSON at most 5.25 times (a number: `1e20`, 4 bytes, becomes
 * 21; strings and escapes do not grow), so a body under a sixth of the limit, less room for the key and time,
 * cannot.
 */
function mayEncodePastLimit(rawBody: Buffer): boolean {
  return rawBody.length * 6 + 8192 > EVENT_INPUT_LIMIT_BYTES;
}

/** A signed event we cannot use is kept before we answer 400; if it cannot be kept, the sender must retry. */
async function keepInvalid(
  ctx: WebhookContext,
  deps: WebhookDeps,
  problem: InvalidEventError,
  rawBody: Buffer,
  receivedAt: string,
): Promise<ReceiverError> {
  const rejectedId = await keep(ctx, deps, problem.message, rawBody, receivedAt);
  deps.logger.warn({ outcome: 'invalid', rejectedId, reason: problem.message }, 'webhook rejected and kept');
  return new ReceiverError('invalid', problem.message, { rejectedId });
}

/**
 * A signed event older than the acceptance window is kept, not started: a replay of a captured body after its
 * first run was forgotten must not act again. 200, because resending it cannot change the answer.
 */
async function keepExpired(
  ctx: WebhookContext,
  deps: WebhookDeps,
  rawBody: Buffer,
  receivedAt: string,
): Promise<void> {
  const reason = `event timestamp is more than ${deps.config.eventWindow.maxAgeSeconds} s old: past the dedupe window`;
  const rejectedId = await keep(ctx, deps, reason, rawBody, receivedAt);
  ctx.state.outcome = 'expired';
  ctx.status = 200;
  ctx.body = { status: 'expired', reason, rejectedId };
  deps.logger.warn({ outcome: 'expired', rejectedId }, 'webhook older than the acceptance window, kept');
}

/** Keeps a signed event for inspection; when Redis cannot take it, a 503 makes the sender retry (nothing lost). */
async function keep(
  ctx: WebhookContext,
  deps: WebhookDeps,
  reason: string,
  rawBody: Buffer,
  receivedAt: string,
): Promise<string> {
  try {
    return await deps.keepRejected({ reason, rawBody, contentType: ctx.get('content-type'), receivedAt });
  } catch (err) {
    deps.logger.error({ outcome: 'unavailable', reason: (err as Error).message }, 'could not keep an event');
    throw unavailable();
  }
}

/** Temporal or Redis could not take the event: the sender retries, nothing is lost. */
function unavailable(): ReceiverError {
  return new ReceiverError('unavailable', 'event could not be stored durably; retry later');
}

function legacyHeaderEventId(ctx: WebhookContext): string | undefined {
  return LEGACY_EVENT_ID_HEADERS.map((h) => ctx.get(h).trim()).find(Boolean);
}
