import type {
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  InjectedSinks,
} from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { eventTypeLabel, type ProcessingSinks } from '../workflows/contracts';

export interface WorkerMetricsSources {
  /** Open dead letters right now (read at scrape time); undefined when Redis does not answer. */
  deadLettersOpen: () => Promise<number | undefined>;
  /** Tasks waiting on the task queue, where the server reports it; undefined when it does not. */
  backlog: (kind: 'workflow' | 'activity') => Promise<number | undefined>;
  /** Sessions whose watchdog believes them down (Temporal's visibility); undefined when it does not answer. */
  sessionsDown: () => Promise<number | undefined>;
}

export interface WorkerMetrics {
  registry: Registry;
  sinks: InjectedSinks<ProcessingSinks>;
  activityInterceptor: ActivityInterceptorsFactory;
  /** Cumulative activity attempts and failed attempts in this process, for the error-rate trend. */
  attemptTotals(): { attempts: number; failures: number };
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** The worker's own Prometheus series; the Temporal SDK's are merged in by the metrics server. */
export function createWorkerMetrics(sources: WorkerMetricsSources): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const processed = new Counter({
    name: 'whatsapp_events_processed_total',
    help: 'Events whose workflow finished, by type and outcome (completed, dead-lettered)',
    labelNames: ['type', 'outcome'],
    registers,
  });
  const byType = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: ['type'], buckets: LATENCY_BUCKETS, registers });
  const processing = byType(
    'whatsapp_event_processing_seconds',
    'From the receiver accepting an event to its workflow finishing, by type',
  );
  const endToEnd = byType(
    'whatsapp_event_end_to_end_seconds',
    "From the event's own timestamp (Vesper's) to its workflow finishing, by type",
  );
  const attempts = new Counter({
    name: 'whatsapp_activity_attempts_total',
    help: 'Activity attempts, by activity',
    labelNames: ['activity'],
    registers,
  });
  const failures = new Counter({
    name: 'whatsapp_activity_failures_total',
    help: 'Failed activity attempts, by activity and failure type (each retry counts)',
    labelNames: ['activity', 'type'],
    registers,
  });
  const deadLetters = new Counter({
    name: 'whatsapp_dead_letters_total',
    help: 'Events dead-lettered, by failed step',
    labelNames: ['step'],
    registers,
  });
  // one Redis read per scrape, shared by the two series that report it (prom-client collects them concurrently)
  let reading: Promise<number | undefined> | undefined;
  const openDeadLetters = () =>
    (reading ??= sources
      .deadLettersOpen()
      .catch(() => undefined)
      .finally(() => (reading = undefined)));
  new Gauge({
    name: 'whatsapp_worker_redis_up',
    help: '1 when Redis answered this scrape, 0 when it did not (then the Redis-backed series are NaN)',
    registers,
    async collect() {
      this.set((await openDeadLetters()) === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'whatsapp_dead_letters_open',
    help: 'Dead letters not yet resolved (all workers, from Redis); NaN while Redis does not answer',
    registers,
    async collect() {
      // a scrape never fails whole: without Redis this is NaN (unknown), never a stale or false 0
      this.set((await openDeadLetters()) ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'whatsapp_task_queue_backlog',
    help: 'Tasks waiting on the task queue, as the server reports it (approximate)',
    labelNames: ['kind'],
    registers,
    async collect() {
      for (const kind of ['workflow', 'activity'] as const) {
        const value = await sources.backlog(kind);
        if (value !== undefined) this.set({ kind }, value);
      }
    },
  });

  new Gauge({
    name: 'whatsapp_sessions_down',
    help: "Sessions whose watchdog believes them disconnected (this task queue, from Temporal's visibility)",
    registers,
    async collect() {
      this.set((await sources.sessionsDown().catch(() => undefined)) ?? Number.NaN);
    },
  });
  const recovery = new Histogram({
    name: 'whatsapp_session_recovery_seconds',
    help: 'From a session drop (its event time) to the session being back, by whether the team was alerted',
    labelNames: ['alerted'],
    buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400],
    registers,
  });
  const restarts = new Counter({
    name: 'whatsapp_session_restart_attempts_total',
    help: 'Session restarts the watchdogs asked of Vesper, by outcome (requested, refused, failed)',
    labelNames: ['outcome'],
    registers,
  });

  let attemptCount = 0;
  let failureCount = 0;
  const countingInterceptor = (activity: string): ActivityInboundCallsInterceptor => ({
    async execute(input, next) {
      attempts.inc({ activity });
      attemptCount++;
      try {
        return await next(input);
      } catch (err) {
        failures.inc({ activity, type: err instanceof ApplicationFailure ? (err.type ?? 'Error') : 'Error' });
        failureCount++;
        throw err;
      }
    },
  });

  return {
    registry,
    sinks: {
      metrics: {
        eventFinished: {
          fn(_info, finished) {
            const type = eventTypeLabel(finished.type);
            const now = Date.now();
            processed.inc({ type, outcome: finished.outcome });
            if (finished.failedStep) deadLetters.inc({ step: finished.failedStep });
            const received = Date.parse(finished.receivedAt);
            if (Number.isFinite(received)) processing.observe({ type }, Math.max(0, now - received) / 1000);
            const happened = Date.parse(finished.eventTimestamp);
            if (Number.isFinite(happened)) endToEnd.observe({ type }, Math.max(0, now - happened) / 1000);
          },
          callDuringReplay: false,
        },
        sessionRecovered: {
          fn(_info, { downSeconds, alerted }) {
            recovery.observe({ alerted: String(alerted) }, downSeconds);
          },
          callDuringReplay: false,
        },
        sessionRestartAttempted: {
          fn(_info, { outcome }) {
            restarts.inc({ outcome });
          },
          callDuringReplay: false,
        },
      },
    },
    activityInterceptor: (ctx) => ({ inbound: countingInterceptor(ctx.info.activityType) }),
    attemptTotals: () => ({ attempts: attemptCount, failures: failureCount }),
  };
}
