import { inject } from 'vitest';
import { getFreePort, ManagedProcess, waitForPort } from '../../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { uniqueId } from './ids';

export interface EntryPoints {
  api: ManagedProcess;
  worker: ManagedProcess;
  apiPort: number;
  /** The receiver's admin listener (/metrics, /readyz). */
  adminPort: number;
  workerMetricsPort: number;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The production entry points (src/api/server.ts, src/worker.ts) as processes run by tsx, configured only by
 * environment, against the run's dev server and Redis, on a task queue of their own.
 */
export async function startEntryPoints(extraEnv: Record<string, string> = {}): Promise<EntryPoints> {
  const { env, apiPort, adminPort, workerMetricsPort } = await entryPointEnv(extraEnv);
  const api = spawnEntryPoint('api', 'src/api/server.ts', env);
  const worker = spawnEntryPoint('worker', 'src/worker.ts', env);
  await Promise.all([
    waitForPort(apiPort, '127.0.0.1', 30_000),
    waitForPort(workerMetricsPort, '127.0.0.1', 30_000),
  ]).catch(async (err: unknown) => {
    // not left running after a failed test
    await Promise.all([api.stop(), worker.stop()]);
    throw err;
  });
  const entry: EntryPoints = {
    api,
    worker,
    apiPort,
    adminPort,
    workerMetricsPort,
    env,
    // the worker of the moment: restartWorker replaces it
    stop: async () => {
      await Promise.all([entry.api.stop(), entry.worker.stop()]);
    },
  };
  return entry;
}

/** A worker entry point again (after a kill) with the same environment; resolves once its /metrics listens. */
export async function restartWorker(entry: EntryPoints): Promise<void> {
  entry.worker = spawnEntryPoint('worker', 'src/worker.ts', entry.env);
  await waitForPort(entry.workerMetricsPort, '127.0.0.1', 60_000);
}

/**
 * The receiver entry point alone with EMBEDDED_WORKER=true: it runs the processing worker itself (bundling the
 * workflows at start when run from sources, hence the longer wait), on a task queue no other worker serves.
 */
export async function startEmbeddedReceiver(
  extraEnv: Record<string, string> = {},
): Promise<Omit<EntryPoints, 'worker'>> {
  const { env, apiPort, adminPort, workerMetricsPort } = await entryPointEnv({
    EMBEDDED_WORKER: 'true',
    ...extraEnv,
  });
  const api = spawnEntryPoint('api', 'src/api/server.ts', env);
  await waitForPort(apiPort, '127.0.0.1', 90_000);
  return { api, apiPort, adminPort, workerMetricsPort, env, stop: () => api.stop() };
}

async function entryPointEnv(extraEnv: Record<string, string>) {
  const apiPort = await getFreePort();
  const adminPort = await getFreePort();
  const workerMetricsPort = await getFreePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    ADMIN_PORT: String(adminPort),
    WORKER_METRICS_PORT: String(workerMetricsPort),
    WORKER_SDK_METRICS_PORT: String(await getFreePort()),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: uniqueId('tq'),
    REDIS_URL: inject('redisUrl'),
    ...extraEnv,
  };
  return { env, apiPort, adminPort, workerMetricsPort };
}

function spawnEntryPoint(label: string, file: string, env: Record<string, string>): ManagedProcess {
  return new ManagedProcess(label, process.execPath, ['--import', 'tsx', file], {
    cwd: PROJECT_ROOT,
    env,
    echo: false,
    keepLines: 5000,
  });
}

/** Parses Prometheus text into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** Sum of every series of a metric whose labels include all of `labels` (e.g. `outcome="accepted"`). */
export function total(series: Map<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [key, value] of series) {
    const bare = key.split('{')[0];
    if (bare === name && labels.every((l) => key.includes(l))) sum += value;
  }
  return sum;
}
