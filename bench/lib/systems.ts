/**
 * The systems measured, each a set of processes started on a given port and stopped after its measurement:
 * (a) the ceiling; (b) the seed guide's Express + BullMQ design (bench/peers, with its own dependencies);
 * (c) this project's receiver alone and (d) receiver and worker, from dist/, each on its own dev server.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFreePort, ManagedProcess } from '../../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { run } from '../../scripts/lib/run';
import { startTemporalDevServer, type RunningService } from '../../scripts/lib/services';
import type { BenchOptions, SystemKey } from './options';

export interface System {
  name: string;
  key: SystemKey;
  /** Whether it has effects to wait for (the ceiling and a receiver alone have none). */
  effects: boolean;
  /** Whatever it needs before it can start, done before its measurement. */
  prepare?(): Promise<void>;
  /** Starts its processes; returns their pids by label. */
  start(ports: { api: number }): Promise<Record<string, number>>;
  stop(): Promise<void>;
  /** Set by start() when the system has a Temporal server with a metrics endpoint. */
  serverMetricsUrl?: string;
}

export interface SystemsSetup {
  options: BenchOptions;
  temporalBinary: string;
  /** Environment for every system's processes: the webhook secret, Redis, the Vesper stand-in, log level. */
  common: Record<string, string>;
  log: (line: string) => void;
}

const PEERS_DIR = path.join(PROJECT_ROOT, 'bench', 'peers');
const TSX = ['--import', 'tsx'];

/** The systems BENCH_SYSTEMS selects, in the order they are measured. */
export function benchSystems(setup: SystemsSetup): System[] {
  const { options, common } = setup;
  const tmp = path.join(os.tmpdir(), `bench-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  const processes = new Processes();
  const stop = () => processes.stop();
  const node = (label: string, args: string[], env: Record<string, string>) =>
    processes.add(
      new ManagedProcess(label, process.execPath, args, {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...common, ...env },
        echo: false,
      }),
    );
  /** Node's CPU profiler for our processes: one directory each, as node writes a profile per thread. */
  const profile = (label: string) =>
    options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.profileDir, label)}`] : [];

  /** This project on its own dev server: receiver and worker, or the receiver alone (the hand-off's own cost). */
  const ours = (mode: 'split' | 'receiver-only'): System => ({
    name: mode === 'split' ? 'this project (Temporal)' : 'this project, receiver only',
    key: mode === 'split' ? 'ours' : 'ours-ack',
    effects: mode !== 'receiver-only',
    async start({ api }) {
      const metricsPort = await getFreePort();
      const temporal = await startTemporalDevServer({
        binary: setup.temporalBinary,
        port: await getFreePort(),
        ...(options.sqlite !== 'memory' && { dbFile: path.join(tmp, `temporal-${mode}.db`) }),
        sqlitePragmas: options.sqlite && options.sqlite !== 'memory' ? options.sqlite.split(',') : [],
        metricsPort,
        dynamicConfig: options.serverDynamicConfig,
        env: options.serverEnv,
        echo: false,
      });
      processes.temporal = temporal;
      this.serverMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      const env = {
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
      const pids = { api: node('api', [...profile('api'), 'dist/api/server.js'], env) };
      const worker = mode === 'split' && {
        worker: node('worker', [...profile('worker'), 'dist/worker.js'], env),
      };
      return { ...pids, ...worker, temporal: temporal.process.child.pid ?? 0 };
    },
    stop,
  });

  const all: System[] = [
    {
      name: 'ceiling',
      key: 'ceiling',
      effects: false,
      async start({ api }) {
        return { api: node('ceiling', [...TSX, 'bench/peers/ceiling.ts'], { PORT: String(api) }) };
      },
      stop,
    },
    {
      name: 'seed (Express + BullMQ)',
      key: 'seed',
      effects: true,
      prepare: () => ensurePeerDependencies(setup.log),
      async start({ api }) {
        return {
          api: node('seed-api', [...TSX, 'bench/peers/seed-api.ts'], { PORT: String(api) }),
          worker: node('seed-worker', [...TSX, 'bench/peers/seed-worker.ts'], { AUTO_REPLY_TEXT: 'Thanks!' }),
        };
      },
      stop,
    },
    ours('receiver-only'),
    ours('split'),
  ];
  return all.filter((system) => options.systems.includes(system.key));
}

/** The processes of the system being measured (one at a time), stopped together. */
class Processes {
  temporal?: RunningService;
  private running: ManagedProcess[] = [];

  /** Tracks the process; returns its pid. */
  add(child: ManagedProcess): number {
    this.running.push(child);
    return child.child.pid ?? 0;
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map((p) => p.stop()));
    this.running = [];
    await this.temporal?.process.stop();
    this.temporal = undefined;
  }
}

/** The seed peer's Express and BullMQ live in bench/peers/node_modules, apart from the product's tree. */
async function ensurePeerDependencies(log: (line: string) => void): Promise<void> {
  const manifest = JSON.parse(readFileSync(path.join(PEERS_DIR, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const missing = Object.keys(manifest.dependencies ?? {}).filter(
    (name) => !existsSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json')),
  );
  if (missing.length === 0) return;
  log(`installing the seed peer's dependencies (${missing.join(', ')} missing): npm ci in bench/peers`);
  // from inside the folder, not with --prefix: npm derives its global config (cafile…) from the prefix
  const install = await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEERS_DIR });
  if (install.code !== 0) throw new Error(`npm ci in bench/peers failed: ${install.stderr}`);
}
