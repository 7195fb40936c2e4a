import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { eventTypeLabel } from '../workflows/contracts';

export interface ApiMetrics {
  registry: Registry;
  /**
   * One webhook request: its event type (if it got that far), its outcome (the webhook's, or the refusal's from
   * errors.ts, else `http_<status>`) and time to answer.
   */
  observeWebhook(type: string | undefined, outcome: string, seconds: number): void;
  /** Hand-offs to Temporal in flight now (at most MAX_STARTS_IN_FLIGHT; see start-slots.ts). */
  setStartsInFlight(count: number): void;
  /** One event refused at once because every hand-off slot was taken. */
  countOverloadRefusal(): void;
  /** One workflow started; `eagerly`: its first task came back in the start's answer (an embedded worker). */
  countStart(eagerly: boolean): void;
}

/** The receiver's Prometheus metrics, in a registry of its own (served at GET /metrics). */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const received = new Counter({
    name: 'whatsapp_webhooks_received_total',
    help: 'Webhook requests by event type and outcome (accepted, duplicate, expired, too_early, unauthorized, invalid, unavailable, overloaded, …)',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const ack = new Histogram({
    name: 'whatsapp_webhook_ack_seconds',
    help: 'Time from request to answer, by outcome; accepted includes the durable hand-off to Temporal',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const startsInFlight = new Gauge({
    name: 'whatsapp_webhook_starts_in_flight',
    help: 'Hand-offs to Temporal (workflow starts) this receiver has in flight; at MAX_STARTS_IN_FLIGHT further events get 503',
    registers: [registry],
  });
  const overloadRefusals = new Counter({
    name: 'whatsapp_webhook_overload_refusals_total',
    help: 'Signed, valid events refused at once (503 overloaded, nothing started) because MAX_STARTS_IN_FLIGHT hand-offs were in flight',
    registers: [registry],
  });
  const starts = new Counter({
    name: 'whatsapp_webhook_starts_total',
    help: 'Workflows this receiver started, by whether the first workflow task came back eagerly (EMBEDDED_WORKER)',
    labelNames: ['eager'],
    registers: [registry],
  });
  return {
    registry,
    observeWebhook(type, outcome, seconds) {
      received.inc({ type: eventTypeLabel(type), outcome });
      ack.observe({ outcome }, seconds);
    },
    setStartsInFlight: (count) => startsInFlight.set(count),
    countOverloadRefusal: () => overloadRefusals.inc(),
    countStart: (eagerly) => starts.inc({ eager: String(eagerly) }),
  };
}
