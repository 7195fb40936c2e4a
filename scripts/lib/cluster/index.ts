/**
 * The production topology of docker-compose.yml on this host, without Docker: PostgreSQL, the Temporal server's
 * four roles as separate processes, the schema and namespace jobs (the compose file's own scripts), the Web UI
 * server, Redis with an append-only file, two workers, two receivers and nginx in front of them. Versions and
 * settings come from docker-compose.yml (compose.ts); only what differs on one host is set here: every address is
 * loopback, and processes of the same kind get ports of their own.
 */
import path from 'node:path';
import { DEV_WEBHOOK_SECRET } from '../../../src/config';
import { ManagedProcess, assertPortFree } from '../managed-process';
import { DATA_DIR, PROJECT_ROOT, TOOLS_BIN_DIR } from '../paths';
import { ensureTemporalCli } from '../provision';
import { ensureRedisServer } from '../redis-server';
import { lastLine, run } from '../run';
import { startRedisServer } from '../services';
import { ensureClusterBinaries, type ClusterBinaries } from './binaries';
import { readComposeFile, type ComposeFile } from './compose';
import { ensureNginx, startNginx } from './nginx';
import { ensurePostgres, startPostgres, type PostgresBinaries, type RunningPostgres } from './postgres';
import { Supervisor, type UnplannedExit } from './supervisor';
import { linkTool } from '../tools';

type Log = (line: string) => void;

/** The Temporal server's roles, in start order (the worker role talks to the frontend). */
export const TEMPORAL_ROLES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalRole = (typeof TEMPORAL_ROLES)[number];

/** Host ports: where the compose file publishes one, the same; the rest are this host's choice. */
export interface ClusterPorts {
  postgres: number;
  /** Fixed by deploy/temporal/config/cluster.yaml: 7233 (gRPC) and 6933–6939 (membership) are the roles'. */
  frontend: number;
  /** Prometheus, one per role. */
  temporalMetrics: Record<TemporalRole, number>;
  ui: number;
  redis: number;
  nginx: number;
  receivers: [number, number];
  receiverAdmin: [number, number];
  workerMetrics: [number, number];
  workerSdkMetrics: [number, number];
}

export function clusterPorts(env: NodeJS.ProcessEnv): ClusterPorts {
  const port = (name: string, fallback: number) => {
    const value = env[name]?.trim();
    // as compose's ${VAR:-default}: unset or empty is the default
    if (!value) return fallback;
    if (!/^\d+$/.test(value) || Number(value) > 65535)
      throw new Error(`${name} must be a port number (got "${value}")`);
    return Number(value);
  };
  return {
    postgres: port('CLUSTER_POSTGRES_PORT', 5433),
    frontend: 7233,
    temporalMetrics: { history: 9091, matching: 9092, frontend: 9093, worker: 9094 },
    ui: port('TEMPORAL_UI_HOST_PORT', 8080),
    redis: port('CLUSTER_REDIS_PORT', 6391),
    nginx: port('NGINX_PORT', 8088),
    receivers: [3001, 3002],
    receiverAdmin: [port('ADMIN_HOST_PORT', 9462), port('ADMIN_2_HOST_PORT', 9463)],
    workerMetrics: [port('WORKER_METRICS_HOST_PORT', 9464), port('WORKER_2_METRICS_HOST_PORT', 9466)],
    workerSdkMetrics: [9465, 9467],
  };
}

export interface ClusterOptions {
  /** .data/cluster by default: PostgreSQL's and Redis's data, nginx's prefix. */
  dataDir?: string;
  /** Variables for compose's substitution and the processes (process.env and .env by default). */
  env?: NodeJS.ProcessEnv;
  echo?: boolean;
  log?: Log;
  /** Aborting stops what has started so far and makes startCluster() reject (Ctrl-C during start-up). */
  signal?: AbortSignal;
  /** A Redis to use instead of starting one (the benchmark's, where it looks for effects). */
  redisUrl?: string;
  /** How many receivers behind nginx and how many workers (2 and 2, as the compose file; 1 to compare). */
  receivers?: 1 | 2;
  workers?: 1 | 2;
  /** Run `npm run build` first (default); false when the caller has just built dist/. */
  build?: boolean;
}

export interface RunningCluster {
  dataDir: string;
  /** The public webhook URL, through nginx. */
  webhookUrl: string;
  temporalAddress: string;
  uiUrl: string;
  redisUrl: string;
  webhookSecret: string;
  namespace: string;
  binaries: ClusterBinaries;
  /**
   * Every process by label, each its compose service's name (postgresql, temporal-history, …, api-1, api-2,
   * worker-1, worker-2, nginx): the current one, as restarts replace them.
   */
  processes: Map<string, ManagedProcess>;
  /**
   * Called for every exit nobody asked for. The compose file's `restart:` policy applies as in containers: the
   * process is started again after Docker's delay (`restartInMs`), or, under `restart: 'no'`, left down.
   */
  onUnplannedExit(listener: (exit: UnplannedExit) => void): () => void;
  /** Starts a stopped or killed process again, with the same command and settings. */
  start(label: string): Promise<ManagedProcess>;
  /** Stops a process (its stop signal, then SIGKILL after its grace) as asked for: no policy restart follows. */
  stopProcess(label: string): Promise<void>;
  /** SIGKILLs a process's group as asked for (a crash to test): no policy restart follows. */
  kill(label: string): Promise<void>;
  /** How many processes a label has had (the first included): restarts of ours and the policy's. */
  starts(label: string): number;
  /** Stops everything, in the reverse order of start. */
  stop(): Promise<void>;
}

export interface ClusterTools {
  binaries: ClusterBinaries;
  temporalCli: { path: string };
  redisBinary: string;
  nginxBinary: string;
  postgresBinaries: PostgresBinaries;
}

/**
 * Everything the topology runs, made available (built, downloaded or installed) without starting it: what a
 * cold first run spends its minutes on. The cluster tests do it before any test's clock starts.
 */
export async function provisionCluster(
  compose: ComposeFile,
  log: Log,
  { redis = true }: { redis?: boolean } = {},
): Promise<ClusterTools> {
  const versions = { server: compose.imageTag('temporal-frontend'), ui: compose.imageTag('temporal-ui') };
  const binaries = await ensureClusterBinaries(versions, log);
  const temporalCli = await ensureTemporalCli(log);
  // the compose jobs' scripts call temporal-sql-tool and temporal by name
  linkTool('temporal-sql-tool', binaries.sqlTool);
  const redisBinary = redis ? await ensureRedisServer(log) : '';
  const nginxBinary = await ensureNginx(log);
  const postgresMajor = compose.imageTag('postgresql').split('.')[0] ?? '';
  const postgresBinaries = await ensurePostgres(postgresMajor, log);
  return { binaries, temporalCli, redisBinary, nginxBinary, postgresBinaries };
}

export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  // like a container, each process gets the variables its compose service lists (substituted from `env`), not
  // the whole environment; these few are the host's own
  const base: NodeJS.ProcessEnv = { PATH: env.PATH, HOME: env.HOME, XDG_CACHE_HOME: env.XDG_CACHE_HOME };
  const dataDir = options.dataDir ?? path.join(DATA_DIR, 'cluster');
  const compose = readComposeFile(env);
  const ports = clusterPorts(env);
  const echo = options.echo;

  const { binaries, temporalCli, redisBinary, nginxBinary, postgresBinaries } = await provisionCluster(
    compose,
    log,
    { redis: !options.redisUrl },
  );
  await checkPortsFree(ports);

  const processes = new Map<string, ManagedProcess>();
  const supervisor = new Supervisor(processes, log);
  const order: string[] = [];
  /** Runs `label` (its compose service's name) under that service's restart policy. */
  const supervise = (label: string, start: () => Promise<ManagedProcess>, running?: ManagedProcess) => {
    if (!order.includes(label)) order.push(label);
    if (!running) options.signal?.throwIfAborted();
    return supervisor.add(label, compose.restartPolicy(label), start, running);
  };
  const spawn = (
    label: string,
    command: string,
    args: string[],
    processEnv: NodeJS.ProcessEnv,
    // the compose file's stop_grace_period where it sets one (workers finish their tasks, receivers their requests)
    stopGraceMs = label.startsWith('worker-') ? 60_000 : label.startsWith('api-') ? 30_000 : 10_000,
  ) =>
    supervise(
      label,
      async () =>
        new ManagedProcess(label, command, args, { cwd: PROJECT_ROOT, env: processEnv, echo, stopGraceMs }),
    );
  let postgres: RunningPostgres | undefined;
  const stop = async () => {
    await supervisor.close();
    for (const label of [...order].reverse()) await processes.get(label)?.stop();
    await postgres?.stop();
  };

  try {
    options.signal?.throwIfAborted();
    const pgEnv = compose.environment('postgresql');
    const dbUser = pgEnv.POSTGRES_USER || 'temporal';
    const dbPassword = pgEnv.POSTGRES_PASSWORD || 'temporal';
    postgres = await startPostgres({
      binaries: postgresBinaries,
      dataDir: path.join(dataDir, 'postgresql'),
      port: ports.postgres,
      user: dbUser,
      password: dbPassword,
      echo,
      log,
    });
    const pg = postgres;
    await supervise(
      'postgresql',
      async () => {
        await pg.restart();
        return pg.process;
      },
      pg.process,
    );

    const toolPath = `${TOOLS_BIN_DIR}${path.delimiter}${env.PATH ?? ''}`;
    await job('temporal-schema-setup', 'deploy/temporal/setup-schema.sh', {
      ...base,
      ...compose.environment('temporal-schema-setup'),
      SQL_HOST: '127.0.0.1',
      SQL_PORT: String(ports.postgres),
      PATH: toolPath,
    });
    await validateDynamicConfig(binaries.server);
    options.signal?.throwIfAborted();

    const frontendAddress = `127.0.0.1:${ports.frontend}`;
    const temporalEnv = (role: TemporalRole): NodeJS.ProcessEnv => ({
      ...base,
      ...compose.environment(`temporal-${role}`),
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(ports.postgres),
      TEMPORAL_FRONTEND_ADDRESS: frontendAddress,
      TEMPORAL_BIND_ON_IP: '127.0.0.1',
      TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
      TEMPORAL_METRICS_HOST: '127.0.0.1',
      TEMPORAL_METRICS_PORT: String(ports.temporalMetrics[role]),
      TEMPORAL_DYNAMIC_CONFIG_FILE: path.join(
        PROJECT_ROOT,
        'deploy/temporal/dynamicconfig/development-sql.yaml',
      ),
    });
    const serverArgs = (role: TemporalRole) => [
      ...[
        '--root',
        PROJECT_ROOT,
        '--config',
        'deploy/temporal/config',
        '--env',
        'cluster',
        '--allow-no-auth',
      ],
      ...['start', '--service', role],
    ];
    // history first: the first role up on an empty database writes the cluster's metadata row, and two roles
    // racing for it make one exit (the restart policy would cover it, but the start-up checks below fail at a
    // role's first exit, to report a broken start at once)
    const history = await spawn(
      'temporal-history',
      binaries.server,
      serverArgs('history'),
      temporalEnv('history'),
    );
    await history.waitForPort(7234, 120_000);
    for (const role of ['matching', 'frontend'] as const) {
      await spawn(`temporal-${role}`, binaries.server, serverArgs(role), temporalEnv(role));
    }
    await waitForServing(temporalCli.path, frontendAddress, processes);
    await spawn('temporal-worker', binaries.server, serverArgs('worker'), temporalEnv('worker'));

    const namespaceEnv = compose.environment('temporal-namespace-setup');
    await job('temporal-namespace-setup', 'deploy/temporal/setup-namespace.sh', {
      ...base,
      ...namespaceEnv,
      TEMPORAL_ADDRESS: frontendAddress,
      PATH: toolPath,
    });

    await spawn(
      'temporal-ui',
      binaries.uiServer,
      ['--root', PROJECT_ROOT, '--config', 'deploy/temporal-ui', '--env', 'cluster', 'start'],
      {
        ...base,
        ...compose.environment('temporal-ui'),
        TEMPORAL_ADDRESS: frontendAddress,
        TEMPORAL_UI_HOST: '127.0.0.1',
        TEMPORAL_UI_PORT: String(ports.ui),
      },
    );

    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const startRedis = () =>
        startRedisServer({
          binary: redisBinary,
          port: ports.redis,
          dataDir: path.join(dataDir, 'redis'),
          appendfsync: 'everysec', // the compose file's
          echo,
        });
      const redis = await startRedis();
      redisUrl = redis.address;
      await supervise('redis', async () => (await startRedis()).process, redis.process);
    }

    if (options.build !== false) await buildDist(log);
    options.signal?.throwIfAborted();
    const appEnv = { TEMPORAL_ADDRESS: frontendAddress, REDIS_URL: redisUrl };
    const receivers = options.receivers ?? 2;
    for (const i of ([0, 1] as const).slice(0, options.workers ?? 2)) {
      await spawn(`worker-${i + 1}`, process.execPath, ['dist/worker.js'], {
        ...base,
        ...compose.environment(`worker-${i + 1}`),
        ...appEnv,
        WORKER_METRICS_HOST: '127.0.0.1',
        WORKER_METRICS_PORT: String(ports.workerMetrics[i]),
        WORKER_SDK_METRICS_PORT: String(ports.workerSdkMetrics[i]),
      });
    }
    const apiEnv = compose.environment('api-1');
    const webhookSecret = apiEnv.WEBHOOK_SECRET || DEV_WEBHOOK_SECRET;
    if (!apiEnv.WEBHOOK_SECRET)
      log(`WEBHOOK_SECRET is not set: the receivers use the dev secret (${DEV_WEBHOOK_SECRET})`);
    for (const i of ([0, 1] as const).slice(0, receivers)) {
      await spawn(`api-${i + 1}`, process.execPath, ['dist/api/server.js'], {
        ...base,
        ...compose.environment(`api-${i + 1}`),
        ...appEnv,
        WEBHOOK_SECRET: webhookSecret,
        HOST: '127.0.0.1',
        PORT: String(ports.receivers[i]),
        ADMIN_HOST: '127.0.0.1',
        ADMIN_PORT: String(ports.receiverAdmin[i]),
      });
    }
    for (const [i, receiverPort] of ports.receivers.slice(0, receivers).entries()) {
      await processes.get(`api-${i + 1}`)?.waitForPort(receiverPort);
    }

    const nginxEnv = compose.environment('nginx');
    const startNginxProcess = () =>
      startNginx({
        binary: nginxBinary,
        prefixDir: path.join(dataDir, 'nginx'),
        port: ports.nginx,
        vars: {
          ...nginxEnv,
          // a run on this machine (the dev secret, perhaps) is not published on other interfaces
          NGINX_LISTEN: `127.0.0.1:${ports.nginx}`,
          RECEIVER_1_ADDRESS: `127.0.0.1:${ports.receivers[0]}`,
          // one receiver: both upstream entries are it
          RECEIVER_2_ADDRESS: `127.0.0.1:${ports.receivers[receivers - 1]}`,
        },
        echo,
      });
    await supervise('nginx', startNginxProcess);
    await processes.get('temporal-ui')?.waitForPort(ports.ui);
    options.signal?.throwIfAborted();

    const namespace = namespaceEnv.TEMPORAL_NAMESPACE || 'default';
    return {
      dataDir,
      webhookUrl: `http://127.0.0.1:${ports.nginx}${nginxEnv.WEBHOOK_PATH || '/webhooks/whatsapp'}`,
      temporalAddress: frontendAddress,
      uiUrl: `http://127.0.0.1:${ports.ui}`,
      redisUrl,
      webhookSecret,
      namespace,
      binaries,
      processes,
      onUnplannedExit: (listener) => supervisor.onUnplannedExit(listener),
      start: (label) => supervisor.start(label),
      stopProcess: (label) => supervisor.halt(label, 'stop'),
      kill: (label) => supervisor.halt(label, 'kill'),
      starts: (label) => supervisor.starts(label),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A one-shot job of the compose file, run with `sh` as its container would run it. */
async function job(label: string, script: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await run('/bin/sh', [path.join(PROJECT_ROOT, script)], { cwd: PROJECT_ROOT, env });
  if (result.code !== 0) {
    throw new Error(
      `${label} failed:\n${(result.stdout + result.stderr).trim().split('\n').slice(-15).join('\n')}`,
    );
  }
}

/** Unknown or mistyped keys in the dynamic config are silently ignored by the server: refuse them here. */
async function validateDynamicConfig(server: string): Promise<void> {
  const file = path.join(PROJECT_ROOT, 'deploy/temporal/dynamicconfig/development-sql.yaml');
  const result = await run(server, ['validate-dynamic-config', file]);
  const findings = (result.stdout + result.stderr).split('\n').filter((l) => /error:|warning:/.test(l));
  if (result.code !== 0 || findings.length > 0) {
    throw new Error(
      `deploy/temporal/dynamicconfig/development-sql.yaml:\n${findings.join('\n') || lastLine(result)}`,
    );
  }
}

async function waitForServing(
  temporal: string,
  address: string,
  processes: Map<string, ManagedProcess>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await run(temporal, ['operator', 'cluster', 'health', '--address', address]);
    if (health.code === 0 && /SERVING/.test(health.stdout)) return;
    for (const [label, proc] of processes) {
      if (label.startsWith('temporal-') && !proc.running) {
        throw new Error(`${label} exited during start-up:\n${proc.recentOutput()}`);
      }
    }
    if (Date.now() > deadline)
      throw new Error(`the Temporal frontend at ${address} was not SERVING: ${lastLine(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The receivers and workers run from dist/, as in the image. */
async function buildDist(log: Log): Promise<void> {
  log('building dist/ (npm run build)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = await run(npm, ['run', 'build'], { cwd: PROJECT_ROOT });
  if (result.code !== 0) throw new Error(`npm run build failed: ${lastLine(result)}`);
}

async function checkPortsFree(ports: ClusterPorts): Promise<void> {
  const hint =
    'Stop whatever holds it (another `npm run cluster`, or `npm start` for 7233), or change the port.';
  const named: [number, string][] = [
    [ports.postgres, 'PostgreSQL (CLUSTER_POSTGRES_PORT)'],
    [ports.frontend, 'Temporal frontend'],
    ...[7234, 7235, 7239, 7243, 6933, 6934, 6935, 6939].map((p): [number, string] => [p, 'a Temporal role']),
    ...Object.values(ports.temporalMetrics).map((p): [number, string] => [p, 'Temporal metrics']),
    [ports.ui, 'Temporal Web UI (TEMPORAL_UI_HOST_PORT)'],
    [ports.redis, 'Redis (CLUSTER_REDIS_PORT)'],
    [ports.nginx, 'nginx (NGINX_PORT)'],
    ...ports.receivers.map((p): [number, string] => [p, 'a receiver']),
    ...ports.receiverAdmin.map((p): [number, string] => [p, 'a receiver admin listener']),
    ...ports.workerMetrics.map((p): [number, string] => [p, 'worker metrics']),
    ...ports.workerSdkMetrics.map((p): [number, string] => [p, 'worker SDK metrics']),
  ];
  for (const [port, what] of named) await assertPortFree(port, what, hint);
}

export type { ComposeFile };
