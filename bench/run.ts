/**
 * `npm run bench`: three systems measured in one run on this machine, loopback only, bounded in count and time:
 * (a) ceiling: verify + parse + 200; (b) the seed guide's Express + BullMQ design; (c) this project on the
 * embedded dev server. Prints a table and writes bench/results/<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getFreePort, ManagedProcess, waitForPort } from '../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../scripts/lib/paths';
import { ensureTemporalCli } from '../scripts/lib/provision';
import { ensureRedisServer } from '../scripts/lib/redis-server';
import { run } from '../scripts/lib/run';
import { startRedisServer, startTemporalDevServer, type RunningService } from '../scripts/lib/services';
import { waitForEffects } from './lib/effects';
import { closedLoop, makeEvents, openLoop, percentile, type AckResult, type BenchEvent } from './lib/load';
import { cpuMs, peakRssMiB } from './lib/proc';
import { scrapeServerMetrics, serverWorkPerEvent, type ServerWork } from './lib/server-metrics';

const SECRET = 'bench-secret';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** Open-loop steps, events per second: one below what ours sustains on 2 cores, and the 200. */
const OPEN_RATES = (process.env.BENCH_RATES ?? process.env.BENCH_RATE ?? '10,200').split(',').map(Number);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 5);
const EFFECTS_TIMEOUT_MS = 180_000;
/** Which systems to run (comma-separated names: ceiling, seed, ours); all by default. */
const ONLY = process.env.BENCH_SYSTEMS?.split(',').map((s) => s.trim());
/** Dev server SQLite settings to try, e.g. `journal_mode=wal,synchronous=normal`; `memory` runs without a file. */
const SQLITE = process.env.BENCH_SQLITE ?? '';
/** Extra dev server dynamic config to try, as JSON, e.g. `{"system.enableActivityEagerExecution":false}`. */
const SERVER_DYNAMIC_CONFIG = JSON.parse(process.env.BENCH_SERVER_DYNAMIC_CONFIG ?? '{}') as Record<
  string,
  string | number | boolean
>;
/** Write V8 CPU profiles of our api and worker processes to this directory (open them in Chrome DevTools). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Extra dev server environment to try, as JSON, e.g. `{"GOGC":"100"}`. */
const SERVER_ENV = JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}') as Record<string, string>;

interface SystemResult {
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
    vesperDuplicateSends: number;
  };
}

interface Figures {
  ackPerSecond: number;
  ackP50: number;
  ackP90: number;
  ackP99: number;
  e2ePerSecond: number;
  e2eP50: number;
  e2eP99: number;
}

/** The stand-in Vesper send API: answers 200 and counts sends by Idempotency-Key. */
function startVesper(): Promise<{ url: string; sends: Map<string, number>; close: () => void }> {
  const sends = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      sends.set(key, (sends.get(key) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ url: `http://127.0.0.1:${port}`, sends, close: () => server.close() });
    }),
  );
}

function figures(events: BenchEvent[], acks: AckResult[], doneAt: Map<string, number> | undefined): Figures {
  const start = Math.min(...acks.map((a) => a.sentAt));
  const ackEnd = Math.max(...acks.map((a) => a.sentAt + a.ackMs));
  const ackMs = acks.map((a) => a.ackMs);
  const e2e: number[] = [];
  let lastEffect = start;
  if (doneAt) {
    events.forEach((e, i) => {
      const done = doneAt.get(e.eventKey);
      const ack = acks[i];
      if (done !== undefined && ack && !e.redelivery) {
        e2e.push(done - ack.sentAt);
        lastEffect = Math.max(lastEffect, done);
      }
    });
  }
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    ackPerSecond: round((acks.length / (ackEnd - start)) * 1000),
    ackP50: round(percentile(ackMs, 50)),
    ackP90: round(percentile(ackMs, 90)),
    ackP99: round(percentile(ackMs, 99)),
    e2ePerSecond: doneAt ? round((e2e.length / (lastEffect - start)) * 1000) : NaN,
    e2eP50: round(percentile(e2e, 50)),
    e2eP99: round(percentile(e2e, 99)),
  };
}

/**
 * The events a system took responsibility for: answered 2xx at least once (a redelivery's 2xx counts for the
 * original). An event refused with 503 is the sender's to retry, so its effects are not waited for.
 */
function accepted(events: BenchEvent[], acks: AckResult[]): BenchEvent[] {
  const ok = new Set(
    events
      .filter((_, i) => (acks[i]?.status ?? 0) < 300 && (acks[i]?.status ?? 0) >= 200)
      .map((e) => e.eventKey),
  );
  return events.filter((e) => ok.has(e.eventKey));
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
): Promise<{ acks: AckResult[]; done?: Map<string, number> }> {
  const answered: { accepted?: Set<string> } = {};
  const watching = system.effects
    ? waitForEffects(redis, events, EFFECTS_TIMEOUT_MS, {
        pauseMs: 50,
        skip: (e) => answered.accepted !== undefined && !answered.accepted.has(e.eventKey),
      })
    : undefined;
  const acks = await send(events);
  answered.accepted = new Set(accepted(events, acks).map((e) => e.eventKey));
  return { acks, done: await watching };
}

interface System {
  name: string;
  key: string;
  start(ports: { api: number }): Promise<Record<string, number>>; // label → pid
  stop(): Promise<void>;
  effects: boolean;
  /** Set by start() when the system has a Temporal server with a metrics endpoint. */
  serverMetricsUrl?: string;
}

async function measure(
  system: System,
  redis: Redis,
  redisPid: number,
  vesper: Awaited<ReturnType<typeof startVesper>>,
): Promise<SystemResult> {
  await redis.flushall();
  vesper.sends.clear();
  const port = await getFreePort();
  const pids = { ...(await system.start({ api: port })), redis: redisPid };
  await waitForPort(port, '127.0.0.1', 60_000);
  const url = `http://127.0.0.1:${port}/webhooks/whatsapp`;
  // warm-up, not measured
  const warm = makeEvents(200, SECRET, `${system.name}w`);
  await sendAndWatch(system, redis, warm, (events) => closedLoop(url, events, 8));

  const metricsBefore = system.serverMetricsUrl
    ? await scrapeServerMetrics(system.serverMetricsUrl)
    : undefined;
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const closedEvents = makeEvents(EVENTS, SECRET, `${system.name}c`);
  const closed = await sendAndWatch(system, redis, closedEvents, (events) =>
    closedLoop(url, events, CONCURRENCY),
  );
  const closedAcks = closed.acks;
  const closedDone = closed.done;
  const steps: Array<{ rate: number; events: BenchEvent[]; acks: AckResult[]; done?: Map<string, number> }> =
    [];
  for (const rate of OPEN_RATES) {
    const events = makeEvents(rate * OPEN_SECONDS, SECRET, `${system.name}o${rate}`);
    steps.push({
      rate,
      events,
      ...(await sendAndWatch(system, redis, events, (e) => openLoop(url, e, rate))),
    });
  }
  const openEvents = steps.flatMap((step) => step.events);
  const openAcks = steps.flatMap((step) => step.acks);
  // per event the system took on: a request refused with 503 costs CPU too, and that cost is charged to the
  // events that got through (for systems that refuse nothing, this is every distinct event)
  const acceptedDistinct = [
    ...accepted(closedEvents, closedAcks),
    ...steps.flatMap((step) => accepted(step.events, step.acks)),
  ].filter((e) => !e.redelivery).length;
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
  const all = [...closedEvents, ...openEvents];
  const acks = [...closedAcks, ...openAcks];
  await system.stop();
  return {
    system: system.name,
    closed: figures(closedEvents, closedAcks, closedDone),
    open: steps.map((step) => ({ rate: step.rate, ...figures(step.events, step.acks, step.done) })),
    cpuMsPerEvent,
    peakRssMiB: rss,
    serverWork,
    accounting: {
      sent: all.length,
      distinct: all.filter((e) => !e.redelivery).length,
      accepted: acks.filter((a) => a.status >= 200 && a.status < 300).length,
      acceptedDistinct,
      refused: acks.filter((a) => a.status < 200 || a.status >= 300).length,
      completed: (closedDone?.size ?? 0) + steps.reduce((n, step) => n + (step.done?.size ?? 0), 0),
      vesperDuplicateSends: [...vesper.sends.values()].filter((n) => n > 1).length,
    },
  };
}

/** Node's CPU profiler for our processes (a .cpuprofile per process, written when it exits). */
function profile(label: string): string[] {
  // one directory per process: node writes one profile per thread (workflows run in worker threads)
  return PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, label)}`] : [];
}

function node(label: string, args: string[], env: Record<string, string>): ManagedProcess {
  return new ManagedProcess(label, process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    echo: false,
  });
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(`[bench] ${line}`);
  const temporalBin = (await ensureTemporalCli(log)).path;
  const redisBin = await ensureRedisServer(log);
  log('building dist/ (tsc) so our processes run as in production');
  const build = await run('npm', ['run', '-s', 'build'], { cwd: PROJECT_ROOT });
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
  const redisServer = await startRedisServer({ binary: redisBin, port: await getFreePort(), echo: false });
  // one round trip per batch of effect probes: the polling shares the 2 cores with the systems measured
  const redis = new Redis(redisServer.address, { enableAutoPipelining: true });
  const vesper = await startVesper();
  const common = {
    WEBHOOK_SECRET: SECRET,
    REDIS_URL: redisServer.address,
    VESPER_API_URL: vesper.url,
    LOG_LEVEL: 'warn',
  };
  const tmp = path.join(os.tmpdir(), `bench-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  const tsx = ['--import', 'tsx'];
  let running: ManagedProcess[] = [];
  let temporal: RunningService | undefined;
  const stopAll = async () => {
    await Promise.all(running.map((p) => p.stop()));
    running = [];
    await temporal?.process.stop();
    temporal = undefined;
  };
  /**
   * This project on its own dev server: receiver and worker, or the receiver alone (no worker: what the durable
   * hand-off costs by itself, without processing competing for CPU).
   */
  const ours = (mode: 'split' | 'receiver-only'): System => ({
    name: { split: 'this project (Temporal)', 'receiver-only': 'this project, receiver only' }[mode],
    key: { split: 'ours', 'receiver-only': 'ours-ack' }[mode],
    effects: mode !== 'receiver-only',
    async start({ api }): Promise<Record<string, number>> {
      const port = await getFreePort();
      const metricsPort = await getFreePort();
      temporal = await startTemporalDevServer({
        binary: temporalBin,
        port,
        ...(SQLITE !== 'memory' && { dbFile: path.join(tmp, `temporal-${mode}.db`) }),
        sqlitePragmas: SQLITE && SQLITE !== 'memory' ? SQLITE.split(',') : [],
        metricsPort,
        dynamicConfig: SERVER_DYNAMIC_CONFIG,
        env: SERVER_ENV,
        echo: false,
      });
      this.serverMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      const env = {
        ...common,
        TEMPORAL_ADDRESS: temporal.address,
        AUTO_REPLY_TEXT: 'Thanks!',
        AUTO_REPLY_COOLDOWN_SECONDS: '0',
        VESPER_API_KEY: 'bench',
        WORKER_METRICS_PORT: String(await getFreePort()),
        WORKER_SDK_METRICS_PORT: String(await getFreePort()),
        PORT: String(api),
        HOST: '127.0.0.1',
        ADMIN_PORT: String(await getFreePort()),
      };
      const server = temporal.process.child.pid ?? 0;
      const a = node('api', [...profile('api'), 'dist/api/server.js'], env);
      if (mode === 'receiver-only') {
        running = [a];
        return { api: a.child.pid ?? 0, temporal: server };
      }
      const w = node('worker', [...profile('worker'), 'dist/worker.js'], env);
      running = [a, w];
      return { api: a.child.pid ?? 0, worker: w.child.pid ?? 0, temporal: server };
    },
    stop: stopAll,
  });
  const systems: System[] = [
    {
      name: 'ceiling',
      key: 'ceiling',
      effects: false,
      async start({ api }) {
        const p = node('ceiling', [...tsx, 'bench/peers/ceiling.ts'], { ...common, PORT: String(api) });
        running = [p];
        return { api: p.child.pid ?? 0 };
      },
      stop: stopAll,
    },
    {
      name: 'seed (Express + BullMQ)',
      key: 'seed',
      effects: true,
      async start({ api }) {
        const a = node('seed-api', [...tsx, 'bench/peers/seed-api.ts'], { ...common, PORT: String(api) });
        const w = node('seed-worker', [...tsx, 'bench/peers/seed-worker.ts'], {
          ...common,
          AUTO_REPLY_TEXT: 'Thanks!',
        });
        running = [a, w];
        return { api: a.child.pid ?? 0, worker: w.child.pid ?? 0 };
      },
      stop: stopAll,
    },
    ours('receiver-only'),
    ours('split'),
  ];
  const results: SystemResult[] = [];
  try {
    for (const system of systems.filter((s) => !ONLY || ONLY.includes(s.key))) {
      log(
        `measuring ${system.name}: ${EVENTS} events closed loop ×${CONCURRENCY}, then ${OPEN_RATES.join(' and ')} ev/s for ${OPEN_SECONDS} s`,
      );
      results.push(await measure(system, redis, redisServer.process.child.pid ?? 0, vesper));
    }
  } finally {
    await stopAll();
    redis.disconnect();
    vesper.close();
    await redisServer.process.stop();
  }
  printTable(results);
  const file = path.join(PROJECT_ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  const settings = {
    events: EVENTS,
    concurrency: CONCURRENCY,
    openRates: OPEN_RATES,
    openSeconds: OPEN_SECONDS,
    sqlite: SQLITE || 'default',
    serverDynamicConfig: SERVER_DYNAMIC_CONFIG,
    serverEnv: SERVER_ENV,
  };
  const report = { at: new Date().toISOString(), machine, settings, results };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`results written to ${path.relative(PROJECT_ROOT, file)}`);
}

function printTable(results: SystemResult[]): void {
  const rows = [
    ['', ...results.map((r) => r.system)],
    ['closed: ack ev/s', ...results.map((r) => r.closed.ackPerSecond)],
    [
      'closed: ack p50/p90/p99 ms',
      ...results.map((r) => `${r.closed.ackP50} / ${r.closed.ackP90} / ${r.closed.ackP99}`),
    ],
    ['closed: end-to-end ev/s', ...results.map((r) => r.closed.e2ePerSecond)],
    ['closed: end-to-end p50/p99 ms', ...results.map((r) => `${r.closed.e2eP50} / ${r.closed.e2eP99}`)],
    ...OPEN_RATES.flatMap((rate, i) => [
      [
        `open ${rate} ev/s: ack p50/p99 ms`,
        ...results.map((r) => `${r.open[i]?.ackP50} / ${r.open[i]?.ackP99}`),
      ],
      [
        `open ${rate} ev/s: end-to-end p50/p99 ms`,
        ...results.map((r) => `${r.open[i]?.e2eP50} / ${r.open[i]?.e2eP99}`),
      ],
    ]),
    [
      'CPU ms per accepted event',
      ...results.map((r) =>
        Object.entries(r.cpuMsPerEvent)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
    ],
    [
      'peak RSS MiB',
      ...results.map((r) =>
        Object.entries(r.peakRssMiB)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
    ],
    [
      'sent / 2xx / refused',
      ...results.map((r) => `${r.accounting.sent} / ${r.accounting.accepted} / ${r.accounting.refused}`),
    ],
    [
      'distinct accepted / completed',
      ...results.map(
        (r) =>
          `${r.accounting.acceptedDistinct} / ${Number.isNaN(r.closed.e2ePerSecond) ? '—' : r.accounting.completed}`,
      ),
    ],
    ['Vesper duplicate sends', ...results.map((r) => r.accounting.vesperDuplicateSends)],
  ];
  rows.push([
    'dev server requests / SQLite ops per accepted event',
    ...results.map((r) =>
      r.serverWork
        ? `${r.serverWork.serviceRequestsPerEvent} / ${r.serverWork.persistenceRequestsPerEvent}`
        : '—',
    ),
  ]);
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length))) ?? [];
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padEnd(widths[c] ?? 0)).join(' | '));
  for (const r of results) {
    if (!r.serverWork) continue;
    console.log(`\n${r.system}: the dev server's requests and SQLite calls per event, largest first`);
    for (const [key, perEvent] of Object.entries(r.serverWork.top)) console.log(`  ${perEvent}\t${key}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
