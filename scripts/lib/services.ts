import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CLI_SEARCH_ATTRIBUTE_TYPES } from '../../src/search-attribute-check';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/contracts';
import { ManagedProcess, waitForPort } from './managed-process';
import { waitForRedis } from './redis-server';
import { lastLine, run } from './run';

/** The dev server's `--search-attribute` value names for the SDK's types. */
export const RETENTION = '168h';

/**
 * One partition per task queue: the default four make matching forward tasks and polls between partitions,
 * which a single dev server on a few cores pays for in CPU (npm run bench: matching AddWorkflowTask per event
 * 2.44 → 1.63). One partition carries far more than one dev server can run.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // start-dev forces true: every use of a search attribute (the start, the eager task, each visibility write)
  // re-reads the cluster metadata and the namespace row from SQLite under a global lock. Ours are registered with
  // --search-attribute before the server serves, so the cache (refreshed every 60 s) always has them.
  'system.forceSearchAttributesCacheRefreshOnRead': false,
} as const;

/**
 * A file-backed dev server's SQLite: write-ahead log, synced at checkpoints rather than at every commit. A crashed
 * or killed server loses nothing; a power loss or kernel crash may lose the last commits (the trade Redis's
 * `appendfsync everysec` makes too). `npm run bench` (embedded worker, smoke runs): 39 CPU-ms and 38 ev/s with the
 * CLI's default (rollback journal, a sync per commit), 35 and 35 with WAL synced per commit, 26 and 54 with these.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

export interface TemporalDevServerOptions {
  binary: string;
  port: number;
  /** Omit to run headless (tests). */
  uiPort?: number;
  /** SQLite file; omit for an in-memory server. */
  dbFile?: string;
  /** `--sqlite-pragma` values, e.g. `journal_mode=wal`; default DEV_SERVER_SQLITE_PRAGMAS with a dbFile. */
  sqlitePragmas?: string[];
  namespace?: string;
  /** Serve the server's Prometheus metrics on this port (loopback). */
  metricsPort?: number;
  /** `--dynamic-config-value` settings, e.g. `{ 'system.enableEagerWorkflowStart': true }`. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Extra environment for the server process, e.g. `GOGC`. */
  env?: Record<string, string>;
  echo?: boolean;
  readyTimeoutMs?: number;
}

export interface RunningService {
  process: ManagedProcess;
  address: string;
}

/** Starts `temporal server start-dev` with our search attributes and waits until the namespace answers. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningService> {
  const namespace = options.namespace ?? 'default';
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
  ];
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  const pragmas = options.sqlitePragmas ?? (options.dbFile ? DEV_SERVER_SQLITE_PRAGMAS : []);
  for (const pragma of pragmas) args.push('--sqlite-pragma', pragma);
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (options.metricsPort) args.push('--metrics-port', String(options.metricsPort));
  for (const [key, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${key.name}=${CLI_SEARCH_ATTRIBUTE_TYPES[key.type]}`);
  }
  const server = new ManagedProcess('temporal', options.binary, args, {
    echo: options.echo,
    env: { ...process.env, ...options.env },
  });
  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const probe = await run(options.binary, [
      'operator',
      'namespace',
      'describe',
      '-n',
      namespace,
      '--address',
      address,
    ]);
    if (probe.code === 0) break;
    if (!server.running) {
      throw new Error(`the Temporal dev server exited during start-up:\n${server.recentOutput()}`);
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the Temporal dev server was not ready on ${address}: ${lastLine(probe)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // a database from an earlier version has the attributes of its day only: `--search-attribute` registers them when
  // the database is created, so those added since (e.g. SessionStatus, 0.5) are registered here
  if (options.dbFile) await registerMissingSearchAttributes(options.binary, address, namespace);
  if (options.uiPort) await waitForPort(options.uiPort);
  return { process: server, address };
}

async function registerMissingSearchAttributes(binary: string, address: string, namespace: string) {
  const listed = await run(binary, [
    'operator',
    'search-attribute',
    'list',
    '-n',
    namespace,
    '--address',
    address,
  ]);
  if (listed.code !== 0) throw new Error(`listing search attributes failed: ${lastLine(listed)}`);
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    if (new RegExp(`\\b${key.name}\\b`).test(listed.stdout)) continue;
    const created = await run(binary, [
      ...['operator', 'search-attribute', 'create', '--name', key.name],
      ...['--type', CLI_SEARCH_ATTRIBUTE_TYPES[key.type], '-n', namespace, '--address', address],
    ]);
    if (created.code !== 0)
      throw new Error(`registering search attribute ${key.name} failed: ${lastLine(created)}`);
  }
}

/** The dev server has no retention flag; the namespace is updated once it is up (idempotent). */
export async function setRetention(binary: string, address: string, namespace = 'default'): Promise<void> {
  const result = await run(binary, [
    ...['operator', 'namespace', 'update', '-n', namespace, '--retention', RETENTION, '--address', address],
  ]);
  if (result.code !== 0) throw new Error(`setting retention on ${namespace} failed: ${lastLine(result)}`);
}

export interface RedisServerOptions {
  binary: string;
  port: number;
  /** Directory for the append-only file; omit for a throwaway in-memory Redis (tests). */
  dataDir?: string;
  /** With `dataDir`: when the AOF is fsynced (Redis's default, `everysec`, may lose ~1 s of writes to a crash). */
  appendfsync?: 'always' | 'everysec' | 'no';
  echo?: boolean;
}

export async function startRedisServer(options: RedisServerOptions): Promise<RunningService> {
  const args = ['--port', String(options.port), '--bind', '127.0.0.1', '--save', ''];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('--dir', options.dataDir, '--appendonly', 'yes');
    if (options.appendfsync) args.push('--appendfsync', options.appendfsync);
  } else {
    args.push('--appendonly', 'no');
  }
  const server = new ManagedProcess('redis', options.binary, args, { echo: options.echo });
  try {
    await waitForRedis(options.port);
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\n${server.recentOutput()}`);
  }
  return { process: server, address: `redis://127.0.0.1:${options.port}` };
}
