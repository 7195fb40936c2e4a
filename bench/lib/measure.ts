/**
 * One system's measurement: a warm-up, a closed loop, then the open-loop steps, with its effects polled in Redis
 * while each load runs; then the figures, CPU, memory and the accounting of what it accepted and completed.
 */
import type { Redis } from 'ioredis';
import { getFreePort, waitForPort } from '../../scripts/lib/managed-process';
import type { RecordedRequest, StandIn } from '../../support/stand-in';
import { waitForEffects } from './effects';
import { isRefusal, makeEvents, percentile, type AckResult, type BenchEvent } from './load';
import {
  BENCH_SECRET,
  EFFECTS_TIMEOUT_MS,
  resolveRate,
  type BenchOptions,
  type OpenRate,
  type SystemKey,
} from './options';
import { cpuMs, cpuSnapshot, peakRssMiB } from './proc';
import { sendInThread } from './sender-thread';
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

/** An open-loop step: new events at a fixed rate, each refusal retried as the sender would (VESPER_RETRIES). */
export interface OpenStep {
  /** The rate as BENCH_RATES gave it: events per second, or a multiple of what the closed loop sustained. */
  asked: OpenRate;
  /** Events per second sent. */
  rate: number;
  /** Requests sent, retries included. */
  requests: number;
  /** Each 2xx answer's own latency (a retried event's last attempt, not its whole delivery). */
  ackP50: number;
  ackP99: number;
  /** Answers the sender retries (503, 429, no answer), and their latency: how fast a refusal comes. */
  refusals: number;
  refusalP99: number;
  /** Refusals (503/429) without Retry-After, which the sender retries after its 1 s default. */
  refusalsWithoutRetryAfter: number;
  /** Requests that got no answer at all. */
  connectionErrors: number;
  /** New events refused on their first attempt. */
  firstAttemptRefusedShare: number;
  /** From the event's first attempt to its effects: what the delay looks like to the sender. */
  e2eP50: number;
  e2eP99: number;
  distinct: number;
  /** After the retries: distinct events answered 2xx, and those whose effects showed. */
  acceptedDistinct: number;
  completed: number;
  /** Idempotency keys this step's events sent to Vesper more than once. */
  vesperDuplicateSends: number;
  /** Every distinct event completed (the sender gave none up) and none was sent to Vesper twice; unset without effects. */
  exactlyOnce?: boolean;
}

export interface SystemResult {
  system: string;
  key: SystemKey;
  closed: Figures;
  /** One entry per open-loop rate, in BENCH_RATES order. */
  open: OpenStep[];
  /** CPU ms per event by process (closed loop and open steps): per completed event, per accepted one if no effects. */
  cpuMsPerEvent: Record<string, number>;
  /** The same summed over the system's processes, Redis and the Temporal server included. */
  cpuMsPerEventTotal: number;
  /**
   * The benchmark's own process per event over the same window (sender thread, the Vesper stand-in, the effects
   * polling): not the system's, but it shares the 2 cores, so it bounds the throughput too.
   */
  benchCpuMsPerEvent: number;
  cpuPer: 'completed event' | 'accepted event';
  peakRssMiB: Record<string, number>;
  /** Temporal systems only: the dev server's requests and SQLite calls per event, and the eager share. */
  serverWork?: ServerWork;
  accounting: {
    /** Requests, retries included. */
    sent: number;
    distinct: number;
    /** 2xx answers, redeliveries included. */
    accepted: number;
    /** Distinct events answered 2xx: what the system owes effects for. */
    acceptedDistinct: number;
    /** Non-2xx answers (503 when overloaded or the hand-off took too long): the sender's to retry, nothing lost. */
    refused: number;
    completed: number;
    /** Idempotency keys Vesper was sent more than once. */
    vesperDuplicateSends: number;
  };
}

/**
 * The server's work for an event goes on after its effect shows: the close's transfer and visibility tasks, and
 * each workflow task's timeout timer, which fires (as a no-op) 10 s after the task started. Before and after the
 * measured loads the server is left this long to finish (idle, it costs ~3 CPU-ms a second).
 */
const SERVER_SETTLE_MS = 11_000;

async function settle(system: System): Promise<void> {
  if (system.serverMetricsUrls) await new Promise((resolve) => setTimeout(resolve, SERVER_SETTLE_MS));
}

export interface MeasureSetup {
  options: BenchOptions;
  redis: Redis;
  redisPid: number;
  /** The stand-in Vesper send API, shared by every system. */
  vesper: StandIn;
}

/**
 * A load sent, every attempt per event (the last one the answer that ended it) and, for systems with effects,
 * when each event's effects showed in Redis.
 */
interface Load {
  events: BenchEvent[];
  attempts: AckResult[][];
  done?: Map<string, number>;
  /** What Vesper was sent while this load ran and its effects were awaited. */
  vesperRequests: RecordedRequest[];
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
    const load = (events: BenchEvent[], send: (events: BenchEvent[]) => Promise<AckResult[][]>) =>
      sendAndWatch(system, setup, events, send);
    const closedLoad = (events: BenchEvent[], concurrency: number) =>
      load(events, (e) => sendInThread({ kind: 'closed', url, events: e, param: concurrency }));
    await closedLoad(makeEvents(200, BENCH_SECRET, `${system.name}w`), 8); // warm-up
    await settle(system); // so that the warm-up's late server work is not counted

    const metricsBefore = system.serverMetricsUrls
      ? await scrapeServerMetrics(system.serverMetricsUrls)
      : undefined;
    const snapshotBefore = cpuSnapshot();
    const cpuBefore = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid, snapshotBefore)]),
    );
    const benchBefore = process.cpuUsage();
    const closed = await closedLoad(
      makeEvents(options.events, BENCH_SECRET, `${system.name}c`),
      options.concurrency,
    );
    const closedFigures = figures(closed);
    const sustained =
      system.effects && closedFigures.e2ePerSecond > 0
        ? closedFigures.e2ePerSecond
        : closedFigures.ackPerSecond;
    const steps: Array<Load & { asked: OpenRate; rate: number }> = [];
    for (const asked of options.openRates) {
      const rate = resolveRate(asked, sustained);
      const count = Math.max(1, Math.round(rate * options.openSeconds));
      const events = makeEvents(count, BENCH_SECRET, `${system.name}o${rate}`);
      steps.push({
        asked,
        rate,
        ...(await load(events, (e) => sendInThread({ kind: 'open', url, events: e, param: rate }))),
      });
    }
    const all = [closed, ...steps];
    await settle(system);
    const benchUsage = process.cpuUsage(benchBefore);
    const benchCpuMs = (benchUsage.user + benchUsage.system) / 1000;
    // per event the system took on: a refused request costs CPU too, and that cost is charged to the events that
    // got through, here to those that completed (for systems that refuse and lose nothing, every distinct event)
    const acceptedDistinct = all.flatMap((l) => accepted(l)).filter((e) => !e.redelivery).length;
    const completed = all.reduce((n, l) => n + (l.done?.size ?? 0), 0);
    const perEvent = Math.max(1, system.effects ? completed : acceptedDistinct);
    const snapshotAfter = cpuSnapshot();
    const cpuMsPerEvent = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [
        k,
        round2((cpuMs(pid, snapshotAfter) - (cpuBefore[k] ?? 0)) / perEvent),
      ]),
    );
    const rss = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round(peakRssMiB(pid))]));
    const serverWork =
      system.serverMetricsUrls && metricsBefore
        ? serverWorkPerEvent(metricsBefore, await scrapeServerMetrics(system.serverMetricsUrls), perEvent)
        : undefined;
    const answers = all.flatMap((l) => l.attempts.flat());
    const events = all.flatMap((l) => l.events);
    return {
      system: system.name,
      key: system.key,
      closed: closedFigures,
      open: steps.map(openStep),
      cpuMsPerEvent,
      cpuMsPerEventTotal: round2(Object.values(cpuMsPerEvent).reduce((a, b) => a + b, 0)),
      benchCpuMsPerEvent: round2(benchCpuMs / perEvent),
      cpuPer: system.effects ? 'completed event' : 'accepted event',
      peakRssMiB: rss,
      serverWork,
      accounting: {
        sent: answers.length,
        distinct: events.filter((e) => !e.redelivery).length,
        accepted: answers.filter(is2xx).length,
        acceptedDistinct,
        refused: answers.filter((a) => !is2xx(a)).length,
        completed,
        vesperDuplicateSends: keysSentTwice(setup.vesper.requests.slice(vesperBefore)),
      },
    };
  } finally {
    await system.stop();
  }
}

/**
 * Sends the events while polling Redis for their effects, so end-to-end times are not stretched by waiting for
 * the sending to finish; once every answer is in, events that were refused for good are no longer waited for.
 */
async function sendAndWatch(
  system: System,
  setup: MeasureSetup,
  events: BenchEvent[],
  send: (events: BenchEvent[]) => Promise<AckResult[][]>,
): Promise<Load> {
  const vesperBefore = setup.vesper.requests.length;
  const answered: { accepted?: Set<string> } = {};
  const watching = system.effects
    ? waitForEffects(setup.redis, events, EFFECTS_TIMEOUT_MS, {
        probe: system.probe,
        pauseMs: 50,
        skip: (e) => answered.accepted !== undefined && !answered.accepted.has(e.eventKey),
      })
    : undefined;
  const attempts = await send(events);
  answered.accepted = new Set(accepted({ events, attempts }).map((e) => e.eventKey));
  const done = await watching;
  return { events, attempts, done, vesperRequests: setup.vesper.requests.slice(vesperBefore) };
}

/**
 * The events a system took responsibility for: their delivery ended with a 2xx (a redelivery's 2xx counts for
 * the original). An event refused to the end is the sender's, so its effects are not waited for.
 */
function accepted({ events, attempts }: Pick<Load, 'events' | 'attempts'>): BenchEvent[] {
  const keys = new Set(events.filter((_, i) => endedWith2xx(attempts[i])).map((e) => e.eventKey));
  return events.filter((e) => keys.has(e.eventKey));
}

function endedWith2xx(attempts: AckResult[] | undefined): boolean {
  const last = lastOf(attempts);
  return last !== undefined && is2xx(last);
}

function lastOf(attempts: AckResult[] | undefined): AckResult | undefined {
  return attempts?.[attempts.length - 1];
}

function is2xx(ack: AckResult): boolean {
  return ack.status >= 200 && ack.status < 300;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** End-to-end times (from each event's first attempt to its effects) and when the last effect showed. */
function endToEnd({ events, attempts, done }: Load): { e2e: number[]; start: number; lastEffect: number } {
  const start = Math.min(...attempts.map((a) => a[0]?.sentAt ?? Infinity));
  const e2e: number[] = [];
  let lastEffect = start;
  events.forEach((e, i) => {
    const at = done?.get(e.eventKey);
    const first = attempts[i]?.[0];
    if (at !== undefined && first && !e.redelivery) {
      e2e.push(at - first.sentAt);
      lastEffect = Math.max(lastEffect, at);
    }
  });
  return { e2e, start, lastEffect };
}

function figures(load: Load): Figures {
  const acks = load.attempts.map(lastOf).filter((a) => a !== undefined);
  const { e2e, start, lastEffect } = endToEnd(load);
  const ackEnd = Math.max(...acks.map((a) => a.sentAt + a.ackMs));
  const ackMs = acks.map((a) => a.ackMs);
  return {
    ackPerSecond: round1((acks.length / (ackEnd - start)) * 1000),
    ackP50: round1(percentile(ackMs, 50)),
    ackP90: round1(percentile(ackMs, 90)),
    ackP99: round1(percentile(ackMs, 99)),
    e2ePerSecond: load.done ? round1((e2e.length / (lastEffect - start)) * 1000) : NaN,
    e2eP50: round1(percentile(e2e, 50)),
    e2eP99: round1(percentile(e2e, 99)),
  };
}

function openStep(step: Load & { asked: OpenRate; rate: number }): OpenStep {
  const answers = step.attempts.flat();
  const refusals = answers.filter(isRefusal);
  const acceptedMs = answers.filter(is2xx).map((a) => a.ackMs);
  const refusedMs = refusals.map((a) => a.ackMs);
  const fresh = step.events.filter((e) => !e.redelivery);
  const firsts = step.attempts.map((a) => a[0]).filter((a) => a !== undefined);
  const { e2e } = endToEnd(step);
  const acceptedDistinct = accepted(step).filter((e) => !e.redelivery).length;
  const completed = step.done?.size ?? 0;
  const vesperDuplicateSends = keysSentTwice(step.vesperRequests);
  return {
    asked: step.asked,
    rate: step.rate,
    requests: answers.length,
    ackP50: round1(percentile(acceptedMs, 50)),
    ackP99: round1(percentile(acceptedMs, 99)),
    refusals: refusals.length,
    refusalP99: round1(percentile(refusedMs, 99)),
    refusalsWithoutRetryAfter: refusals.filter((a) => a.status !== 0 && a.retryAfter === undefined).length,
    connectionErrors: refusals.filter((a) => a.status === 0).length,
    firstAttemptRefusedShare: round2(firsts.filter(isRefusal).length / Math.max(1, firsts.length)),
    e2eP50: round1(percentile(e2e, 50)),
    e2eP99: round1(percentile(e2e, 99)),
    distinct: fresh.length,
    acceptedDistinct,
    completed,
    vesperDuplicateSends,
    ...(step.done && { exactlyOnce: completed === fresh.length && vesperDuplicateSends === 0 }),
  };
}

/** Keys sent more than once, as a resend with the same Idempotency-Key would be. */
function keysSentTwice(requests: RecordedRequest[]): number {
  const sends = new Map<string, number>();
  for (const r of requests) sends.set(r.idempotencyKey ?? '', (sends.get(r.idempotencyKey ?? '') ?? 0) + 1);
  return [...sends.values()].filter((n) => n > 1).length;
}
