/**
 * One system's measurement: a warm-up, a closed loop, then the open-loop steps, with its effects polled in Redis
 * while each load runs; then the figures, CPU, memory and the accounting of what it accepted and completed.
 */
import type { Redis } from 'ioredis';
import { getFreePort, waitForPort } from '../../scripts/lib/managed-process';
import type { RecordedRequest, StandIn } from '../../support/stand-in';
import { waitForEffects } from './effects';
import { closedLoop, makeEvents, openLoop, percentile, type AckResult, type BenchEvent } from './load';
import { BENCH_SECRET, EFFECTS_TIMEOUT_MS, type BenchOptions } from './options';
import { cpuMs, peakRssMiB } from './proc';
import { scrapeServerMetrics, serverWorkPerEvent, type ServerWork } from './server-metrics';
import type { System } from './systems';

export interface Figures {
  ackPerSecond: number;
  ackP50: number;
  ackP90: number;
  ackP99: number;
  e2ePerSecond: number;
  e2eP50: number;
  e2eP99: number;
}

export interface SystemResult {
  system: string;
  closed: Figures;
  /** One entry per open-loop rate, in BENCH_RATES order. */
  open: Array<Figures & { rate: number }>;
  cpuMsPerEvent: Record<string, number>;
  peakRssMiB: Record<string, number>;
  /** Temporal systems only: the dev server's requests and SQLite calls per event. */
  serverWork?: ServerWork;
  accounting: {
    sent: number;
    distinct: number;
    /** 2xx answers, redeliveries included. */
    accepted: number;
    /** Distinct events answered 2xx: what the system owes effects for. */
    acceptedDistinct: number;
    /** Non-2xx answers (503 when the hand-off took too long): the sender's to retry, nothing lost. */
    refused: number;
    completed: number;
    /** Idempotency keys Vesper was sent more than once. */
    vesperDuplicateSends: number;
  };
}

export interface MeasureSetup {
  options: BenchOptions;
  redis: Redis;
  redisPid: number;
  /** The stand-in Vesper send API, shared by every system. */
  vesper: StandIn;
}

/** A load sent, its answers and, for systems with effects, when each event's effects showed in Redis. */
interface Load {
  events: BenchEvent[];
  acks: AckResult[];
  done?: Map<string, number>;
}

export async function measure(system: System, setup: MeasureSetup): Promise<SystemResult> {
  const { options, redis } = setup;
  await redis.flushall();
  const vesperBefore = setup.vesper.requests.length;
  const port = await getFreePort();
  try {
    const pids = { ...(await system.start({ api: port })), redis: setup.redisPid };
    await waitForPort(port, '127.0.0.1', 60_000);
    const url = `http://127.0.0.1:${port}/webhooks/whatsapp`;
    const load = (events: BenchEvent[], send: (events: BenchEvent[]) => Promise<AckResult[]>) =>
      sendAndWatch(system, redis, events, send);
    await load(makeEvents(200, BENCH_SECRET, `${system.name}w`), (e) => closedLoop(url, e, 8)); // warm-up

    const metricsBefore = system.serverMetricsUrl
      ? await scrapeServerMetrics(system.serverMetricsUrl)
      : undefined;
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
    const closed = await load(makeEvents(options.events, BENCH_SECRET, `${system.name}c`), (e) =>
      closedLoop(url, e, options.concurrency),
    );
    const steps: Array<Load & { rate: number }> = [];
    for (const rate of options.openRates) {
      const events = makeEvents(rate * options.openSeconds, BENCH_SECRET, `${system.name}o${rate}`);
      steps.push({ rate, ...(await load(events, (e) => openLoop(url, e, rate))) });
    }
    // per event the system took on: a request refused with 503 costs CPU too, and that cost is charged to the
    // events that got through (for systems that refuse nothing, this is every distinct event)
    const acceptedDistinct = [closed, ...steps]
      .flatMap((l) => accepted(l.events, l.acks))
      .filter((e) => !e.redelivery).length;
    const measured = Math.max(1, acceptedDistinct);
    const cpuMsPerEvent = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [
        k,
        Math.round(((cpuMs(pid) - (cpuBefore[k] ?? 0)) / measured) * 100) / 100,
      ]),
    );
    const rss = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round(peakRssMiB(pid))]));
    const serverWork =
      system.serverMetricsUrl && metricsBefore
        ? serverWorkPerEvent(metricsBefore, await scrapeServerMetrics(system.serverMetricsUrl), measured)
        : undefined;
    const all = [closed, ...steps];
    const acks = all.flatMap((l) => l.acks);
    const events = all.flatMap((l) => l.events);
    return {
      system: system.name,
      closed: figures(closed),
      open: steps.map((step) => ({ rate: step.rate, ...figures(step) })),
      cpuMsPerEvent,
      peakRssMiB: rss,
      serverWork,
      accounting: {
        sent: events.length,
        distinct: events.filter((e) => !e.redelivery).length,
        accepted: acks.filter(is2xx).length,
        acceptedDistinct,
        refused: acks.filter((a) => !is2xx(a)).length,
        completed: all.reduce((n, l) => n + (l.done?.size ?? 0), 0),
        vesperDuplicateSends: keysSentTwice(setup.vesper.requests.slice(vesperBefore)),
      },
    };
  } finally {
    await system.stop();
  }
}

/**
 * Sends the events while polling Redis for their effects, so end-to-end times are not stretched by waiting for
 * the sending to finish; once every answer is in, events that were refused are no longer waited for.
 */
async function sendAndWatch(
  system: System,
  redis: Redis,
  events: BenchEvent[],
  send: (events: BenchEvent[]) => Promise<AckResult[]>,
): Promise<Load> {
  const answered: { accepted?: Set<string> } = {};
  const watching = system.effects
    ? waitForEffects(redis, events, EFFECTS_TIMEOUT_MS, {
        pauseMs: 50,
        skip: (e) => answered.accepted !== undefined && !answered.accepted.has(e.eventKey),
      })
    : undefined;
  const acks = await send(events);
  answered.accepted = new Set(accepted(events, acks).map((e) => e.eventKey));
  return { events, acks, done: await watching };
}

/**
 * The events a system took responsibility for: answered 2xx at least once (a redelivery's 2xx counts for the
 * original). An event refused with 503 is the sender's to retry, so its effects are not waited for.
 */
function accepted(events: BenchEvent[], acks: AckResult[]): BenchEvent[] {
  const ok = new Set(events.filter((_, i) => acks[i] && is2xx(acks[i])).map((e) => e.eventKey));
  return events.filter((e) => ok.has(e.eventKey));
}

function is2xx(ack: AckResult): boolean {
  return ack.status >= 200 && ack.status < 300;
}

function figures({ events, acks, done }: Load): Figures {
  const start = Math.min(...acks.map((a) => a.sentAt));
  const ackEnd = Math.max(...acks.map((a) => a.sentAt + a.ackMs));
  const e2e: number[] = [];
  let lastEffect = start;
  events.forEach((e, i) => {
    const at = done?.get(e.eventKey);
    const ack = acks[i];
    if (at !== undefined && ack && !e.redelivery) {
      e2e.push(at - ack.sentAt);
      lastEffect = Math.max(lastEffect, at);
    }
  });
  const ackMs = acks.map((a) => a.ackMs);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    ackPerSecond: round((acks.length / (ackEnd - start)) * 1000),
    ackP50: round(percentile(ackMs, 50)),
    ackP90: round(percentile(ackMs, 90)),
    ackP99: round(percentile(ackMs, 99)),
    e2ePerSecond: done ? round((e2e.length / (lastEffect - start)) * 1000) : NaN,
    e2eP50: round(percentile(e2e, 50)),
    e2eP99: round(percentile(e2e, 99)),
  };
}

/** Keys sent more than once, as a resend with the same Idempotency-Key would be. */
function keysSentTwice(requests: RecordedRequest[]): number {
  const sends = new Map<string, number>();
  for (const r of requests) sends.set(r.idempotencyKey ?? '', (sends.get(r.idempotencyKey ?? '') ?? 0) + 1);
  return [...sends.values()].filter((n) => n > 1).length;
}
