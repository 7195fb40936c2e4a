/**
 * The systems measured, each a set of processes started on a given port and stopped after its measurement:
 * (a) the ceiling; (b) the seed guide's Express + BullMQ design (bench/peers, with its own dependencies);
 * (c) the floor: an empty workflow per event, eagerly started (bench/floor); (d) this project's receiver alone,
 * (e) receiver and worker, and (f) one process that is both, from dist/. Each Temporal system has its own dev server.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterPorts, startCluster, type RunningCluster } from '../../scripts/lib/cluster';
import { getFreePort, ManagedProcess } from '../../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { run } from '../../scripts/lib/run';
import { startTemporalDevServer, type RunningService } from '../../scripts/lib/services';
import { floorDoneKey } from '../floor/keys';
import type { EffectProbe } from './effects';
import type { BenchOptions, SystemKey } from './options';

export interface System {
  name: string;
  key: SystemKey;
  /** Whether it has effects to wait for (the ceiling and a receiver alone have none). */
  effects: boolean;
  /** How to see an event's effect, when it is not ours (the Redis writes of a processed event). */
  probe?: EffectProbe;
  /** Whatever it needs before it can start, done before its measurement. */
  prepare?(): Promise<void>;
  /** Starts its processes; returns their pids by label. */
  start(ports: { api: number }): Promise<Record<string, number>>;
  stop(): Promise<void>;
  /** Set by start() when the system has a Temporal server: its metrics endpoints (one per server process). */
  serverMetricsUrls?: string[];
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

/**
 * Every system's dev server runs with the product's settings (scripts/lib/services.ts: DEV_SERVER_DYNAMIC_CONFIG,
 * DEV_SERVER_SQLITE_PRAGMAS), the floor's too, so ours/floor compares code, not server settings. The two that
 * mattered most were measured on the floor first: the search-attribute cache (start-dev forces a SQLite re-read
 * of cluster metadata and the namespace per use; server CPU per event 12.6 → 9.2 ms, 78 → 132 ev/s) and WAL
 * (a writer no longer shuts out readers; 20 → 10 ms, 26 → 77–129 ev/s). BENCH_SQLITE and
 * BENCH_SERVER_DYNAMIC_CONFIG, when given, apply to every system alike.
 */
/** The floor's effect: the key its worker sets once the event's workflow ran (bench/floor/server.ts). */
const floorProbe: EffectProbe = (redis, e) => redis.exists(floorDoneKey(e.eventKey)).then((n) => n === 1);

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

  /**
   * A dev server of the system's own (SQLite file unless BENCH_SQLITE=memory), its metrics on a free port.
   */
  const temporalServer = async (system: System, label: string): Promise<RunningService> => {
    const metricsPort = await getFreePort();
    const temporal = await startTemporalDevServer({
      binary: setup.temporalBinary,
      port: await getFreePort(),
      ...(options.sqlite !== 'memory' && { dbFile: path.join(tmp, `temporal-${label}.db`) }),
      ...(options.sqlite && { sqlitePragmas: options.sqlite.split(',').filter((p) => p !== 'memory') }),
      metricsPort,
      dynamicConfig: options.serverDynamicConfig,
      env: options.serverEnv,
      echo: false,
    });
    processes.temporal = temporal;
    system.serverMetricsUrls = [`http://127.0.0.1:${metricsPort}/metrics`];
    return temporal;
  };

  /**
   * This project on its own dev server: receiver and worker (split), the receiver alone (the hand-off's own
   * cost), or one api process that also runs the processing worker (EMBEDDED_WORKER=true: one NativeConnection,
   * eager starts).
   */
  const ours = (mode: 'split' | 'receiver-only' | 'embedded'): System => ({
    name: {
      split: 'this project (Temporal)',
      'receiver-only': 'this project, receiver only',
      embedded: 'this project, embedded worker',
    }[mode],
    key: ({ split: 'ours', 'receiver-only': 'ours-ack', embedded: 'ours-embedded' } as const)[mode],
    effects: mode !== 'receiver-only',
    async start({ api }) {
      const temporal = await temporalServer(this, mode);
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
        ...(mode === 'embedded' && { EMBEDDED_WORKER: 'true' }),
      };
      const apiPid = node('api', [...profile('api'), 'dist/api/server.js'], env);
      const pids: Record<string, number> = mode === 'embedded' ? { 'api+worker': apiPid } : { api: apiPid };
      if (mode === 'split') pids.worker = node('worker', [...profile('worker'), 'dist/worker.js'], env);
      return { ...pids, temporal: temporal.process.child.pid ?? 0 };
    },
    stop,
  });

  /**
   * This project on `npm run cluster`'s topology (scripts/lib/cluster): PostgreSQL, the four Temporal roles as
   * processes, nginx in front of the receivers; the benchmark's Redis and Vesper stand-in. A fresh data directory
   * each time. CPU is counted per process with its children (PostgreSQL's backends, nginx's worker).
   */
  const cluster = (receivers: 1 | 2, workers: 1 | 2): System => {
    let running: RunningCluster | undefined;
    return {
      name: `cluster: ${receivers} receiver${receivers > 1 ? 's' : ''}, ${workers} worker${workers > 1 ? 's' : ''}`,
      key: receivers === 1 ? 'cluster-1r' : workers === 1 ? 'cluster-1w' : 'cluster',
      effects: true,
      async start({ api }) {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
        chmodSync(dataDir, 0o755); // PostgreSQL runs as `postgres` when we are root
        const started = startCluster({
          dataDir,
          receivers,
          workers,
          build: false, // run.ts has built dist/
          redisUrl: common.REDIS_URL,
          log: setup.log,
          echo: false,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
            ...common,
            AUTO_REPLY_TEXT: 'Thanks!',
            AUTO_REPLY_COOLDOWN_SECONDS: '0',
            VESPER_API_KEY: 'bench',
            NGINX_PORT: String(api),
            TEMPORAL_LOG_LEVEL: 'warn',
          },
        });
        // a start that fails has stopped what it started; its data goes too
        running = await started.catch((err: unknown) => {
          rmSync(dataDir, { recursive: true, force: true });
          throw err;
        });
        // the restart policy brings a crashed process back under a new pid, which these CPU figures do not follow
        running.onUnplannedExit((exit) =>
          setup.log(
            `UNPLANNED exit of ${exit.label} (code ${String(exit.code)}) during the measurement: its CPU figures stop there`,
          ),
        );
        const ports = clusterPorts({});
        this.serverMetricsUrls = Object.values(ports.temporalMetrics).map(
          (p) => `http://127.0.0.1:${p}/metrics`,
        );
        return {
          ...Object.fromEntries(
            [...running.processes]
              .filter(([label]) => label !== 'temporal-ui') // idle here, and a browser's cost, not an event's
              .map(([label, proc]) => [label.replace(/^temporal-/, 't-'), proc.child.pid ?? 0]),
          ),
        };
      },
      async stop() {
        const dataDir = running?.dataDir;
        await running?.stop();
        running = undefined;
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  };

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
    {
      name: 'floor (empty workflow, eager start)',
      key: 'floor',
      effects: true,
      probe: floorProbe,
      async start({ api }) {
        const temporal = await temporalServer(this, 'floor');
        const floor = node('floor', [...TSX, ...profile('floor'), 'bench/floor/server.ts'], {
          PORT: String(api),
          TEMPORAL_ADDRESS: temporal.address,
        });
        return { 'api+worker': floor, temporal: temporal.process.child.pid ?? 0 };
      },
      stop,
    },
    ours('receiver-only'),
    ours('split'),
    ours('embedded'),
    cluster(2, 2),
    cluster(2, 1),
    cluster(1, 2),
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
