/**
 * The worker runtime: Temporal's runtime settings, and the processing worker (Redis, monitoring, workflows,
 * activities).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { Redis, type RedisOptions } from 'ioredis';
import { createActivities } from './activities';
import type { WorkerConfig } from './config';
import { logConnectionState, toTemporalLogger, type Logger } from './logger';
import { startWorkerMonitoring } from './monitoring';
import { checkSearchAttributes } from './search-attribute-check';

/**
 * Once per process, before the first connection: the SDK logs through pino and exports its metrics. By default
 * the SDK stops the worker on SIGINT/SIGTERM; a process that must stop other things first (the receiver with an
 * embedded worker) handles the signals itself (`ownSignals`).
 */
export function installTemporalRuntime(
  config: WorkerConfig,
  logger: Logger,
  { ownSignals = false }: { ownSignals?: boolean } = {},
): void {
  Runtime.install({
    ...(ownSignals && { shutdownSignals: [] }),
    logger: toTemporalLogger(logger.child({ component: 'temporal-sdk' })),
    // the SDK's own metrics on loopback; the worker's /metrics serves them together with ours
    ...(config.metrics.port > 0 && {
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.sdkMetricsPort}` } } },
    }),
  });
}

/**
 * `npm run build` bundles the workflows next to the compiled entry points; a worker run from dist/ loads that
 * bundle instead of running webpack at every start (a restarted worker is ready sooner). Run from sources (tsx),
 * there is no bundle and the worker bundles src/workflows itself.
 */
const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js');

/**
 * The activities' Redis client: a command that gets no answer fails after 5 s (below the storage steps' 10 s
 * start-to-close timeout), so a stalled Redis costs an attempt, not an attempt still running beside its retry.
 */
export const WORKER_REDIS_OPTIONS: RedisOptions = {
  commandTimeout: 5000,
  // after a failover the connection may still point at the demoted replica: reconnect instead of waiting forever
  reconnectOnError: (err) => err.message.startsWith('READONLY'),
};

/** Where the worker's workflow code comes from: a bundle built beforehand, else src/workflows bundled at start. */
function workflowSource(
  bundlePath: string | undefined,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const prebuilt = bundlePath ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  return prebuilt
    ? { workflowBundle: { codePath: prebuilt } }
    : { workflowsPath: require.resolve('./workflows') };
}

export interface ProcessingWorkerDeps {
  config: WorkerConfig;
  connection: NativeConnection;
  logger: Logger;
  /** A workflow bundle to load (tests bundle once per run); default: dist's prebuilt one, else bundle at start. */
  workflowBundlePath?: string;
  /** Embedded in the receiver process: slots and pollers set for eager workflow start (see EAGER_WORKFLOW_TASKS). */
  embedded?: boolean;
}

/**
 * An embedded worker takes each event's first workflow task from its own start's answer (eager start), which the
 * SDK does only while a workflow-task slot is free: every waiting poller holds one, so few pollers (one normal,
 * one sticky) and many slots, and a workflow cache at least as large (the SDK caps slots in use by it).
 */
const EAGER_WORKFLOW_TASKS: Partial<WorkerOptions> = {
  maxConcurrentWorkflowTaskExecutions: 512,
  maxCachedWorkflows: 1024,
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 },
};

export interface ProcessingWorker {
  worker: Worker;
  /**
   * Runs until SIGINT/SIGTERM (handled by the SDK) or shutdown(), and in-flight tasks are done; then closes Redis
   * and metrics.
   */
  run(): Promise<void>;
  /** Starts a graceful stop; run() resolves once it is done. */
  shutdown(): void;
}

/**
 * The worker runtime, assembled once: its Redis client, monitoring (metrics endpoint, trend alerts), the real
 * activities and the workflows on the task queue. The entry point (worker.ts) and the tests build it here.
 */
export async function createProcessingWorker(deps: ProcessingWorkerDeps): Promise<ProcessingWorker> {
  const { config, connection, logger } = deps;
  // not awaited: a worker (re)started during a Redis outage must run, so that it alerts and its storage steps
  // wait and retry; ioredis keeps reconnecting.
  const redis = new Redis(config.redisUrl, WORKER_REDIS_OPTIONS);
  logConnectionState(redis, logger, 'redis', 'storage steps wait and retry');
  const monitoring = startWorkerMonitoring({ config, redis, connection, logger });
  const workflows = workflowSource(deps.workflowBundlePath);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflows,
    // the dead-letter alert groups are started on the worker's own connection
    activities: createActivities({
      redis,
      client: new Client({ connection, namespace: config.temporal.namespace }),
      config,
      logger,
    }),
    sinks: monitoring.metrics.sinks,
    interceptors: { activity: [monitoring.metrics.activityInterceptor] },
    ...(deps.embedded && EAGER_WORKFLOW_TASKS),
  }).catch(async (err: unknown) => {
    await Promise.all([monitoring.stop(), redis.quit().catch(() => undefined)]);
    throw err;
  });
  // not awaited: a worker starts whatever the answer; what is missing is logged as an error with its fix
  void checkSearchAttributes(connection, config.temporal.namespace, logger);
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      metrics: config.metrics.port > 0 ? `${config.metrics.host}:${config.metrics.port}` : 'off',
      workflows: workflows.workflowBundle ? 'prebuilt bundle' : 'bundled at start',
    },
    'worker running',
  );
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await monitoring.stop();
        await redis.quit().catch(() => undefined);
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
