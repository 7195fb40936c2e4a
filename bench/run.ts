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

const SECRET = 'bench-secret';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const OPEN_RATE = Number(process.env.BENCH_RATE ?? 200);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 10);
const EFFECTS_TIMEOUT_MS = 180_000;
/** Which systems to run (comma-separated names: ceiling, seed, ours); all by default. */
const ONLY = process.env.BENCH_SYSTEMS?.split(',').map((s) => s.trim());
/** Dev server SQLite settings to try, e.g. `journal_mode=wal,synchronous=normal`; `memory` runs without a file. */
const SQLITE = process.env.BENCH_SQLITE ?? '';

interface SystemResult {
  system: string;
  closed: Figures;
  open: Figures;
  cpuMsPerEvent: Record<string, number>;
  peakRssMiB: Record<string, number>;
  accounting: {
    sent: number;
    distinct: number;
    accepted: number;
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

interface System {
  name: string;
  key: string;
  start(ports: { api: number }): Promise<Record<string, number>>; // label → pid
  stop(): Promise<void>;
  effects: boolean;
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
  await closedLoop(url, warm, 8);
  if (system.effects) await waitForEffects(redis, warm, EFFECTS_TIMEOUT_MS);

  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const closedEvents = makeEvents(EVENTS, SECRET, `${system.name}c`);
  const closedAcks = await closedLoop(url, closedEvents, CONCURRENCY);
  const closedDone = system.effects
    ? await waitForEffects(redis, closedEvents, EFFECTS_TIMEOUT_MS)
    : undefined;
  const openEvents = makeEvents(OPEN_RATE * OPEN_SECONDS, SECRET, `${system.name}o`);
  const openAcks = await openLoop(url, openEvents, OPEN_RATE);
  const openDone = system.effects ? await waitForEffects(redis, openEvents, EFFECTS_TIMEOUT_MS) : undefined;
  const measured = closedEvents.length + openEvents.length;
  const cpuMsPerEvent = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [
      k,
      Math.round(((cpuMs(pid) - (cpuBefore[k] ?? 0)) / measured) * 100) / 100,
    ]),
  );
  const rss = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round(peakRssMiB(pid))]));
  const all = [...closedEvents, ...openEvents];
  const acks = [...closedAcks, ...openAcks];
  await system.stop();
  return {
    system: system.name,
    closed: figures(closedEvents, closedAcks, closedDone),
    open: figures(openEvents, openAcks, openDone),
    cpuMsPerEvent,
    peakRssMiB: rss,
    accounting: {
      sent: all.length,
      distinct: all.filter((e) => !e.redelivery).length,
      accepted: acks.filter((a) => a.status >= 200 && a.status < 300).length,
      completed: (closedDone?.size ?? 0) + (openDone?.size ?? 0),
      vesperDuplicateSends: [...vesper.sends.values()].filter((n) => n > 1).length,
    },
  };
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
  const redis = new Redis(redisServer.address);
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
    {
      name: 'this project (Temporal)',
      key: 'ours',
      effects: true,
      async start({ api }) {
        const port = await getFreePort();
        temporal = await startTemporalDevServer({
          binary: temporalBin,
          port,
          dbFile: path.join(tmp, 'temporal.db'),
          echo: false,
        });
        const env = {
          ...common,
          TEMPORAL_ADDRESS: temporal.address,
          AUTO_REPLY_TEXT: 'Thanks!',
          AUTO_REPLY_COOLDOWN_SECONDS: '0',
          VESPER_API_KEY: 'bench',
          WORKER_METRICS_PORT: String(await getFreePort()),
          WORKER_SDK_METRICS_PORT: String(await getFreePort()),
        };
        const a = node('api', ['dist/api/server.js'], { ...env, PORT: String(api), HOST: '127.0.0.1' });
        const w = node('worker', ['dist/worker.js'], env);
        running = [a, w];
        return { api: a.child.pid ?? 0, worker: w.child.pid ?? 0, temporal: temporal.process.child.pid ?? 0 };
      },
      stop: stopAll,
    },
  ];
  const results: SystemResult[] = [];
  try {
    for (const system of systems.filter((s) => !ONLY || ONLY.includes(s.key))) {
      log(
        `measuring ${system.name}: ${EVENTS} events closed loop ×${CONCURRENCY}, then ${OPEN_RATE} ev/s for ${OPEN_SECONDS} s`,
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
    openRate: OPEN_RATE,
    openSeconds: OPEN_SECONDS,
    sqlite: SQLITE || 'default',
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
    [`open ${OPEN_RATE} ev/s: ack p50/p99 ms`, ...results.map((r) => `${r.open.ackP50} / ${r.open.ackP99}`)],
    [
      `open ${OPEN_RATE} ev/s: end-to-end p50/p99 ms`,
      ...results.map((r) => `${r.open.e2eP50} / ${r.open.e2eP99}`),
    ],
    [
      'CPU ms / event',
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
      'sent / accepted / completed',
      ...results.map(
        (r) =>
          `${r.accounting.sent} / ${r.accounting.accepted} / ${r.accounting.completed} (distinct ${r.accounting.distinct})`,
      ),
    ],
    ['Vesper duplicate sends', ...results.map((r) => r.accounting.vesperDuplicateSends)],
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length))) ?? [];
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padEnd(widths[c] ?? 0)).join(' | '));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
