import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import pino from 'pino';
import { inject } from 'vitest';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { redisKeys } from '../../src/activities/redis-keys';
import { createWorkerMetrics } from '../../src/monitoring/worker-metrics';
import { WORKER_REDIS_OPTIONS } from '../../src/processing-worker';
import { uniqueId } from './ids';

let runtimeInstalled = false;

/** A client and native connection to the run's one dev server (started in global-setup.ts). */
export function connectToDevServer(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // the SDK's INFO lines (worker state changes) drown test output; warnings and errors still show
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress') });
}

/** With the worker's own client options (command timeout); the run's Redis unless a test has its own. */
export function connectToRedis(url = inject('redisUrl')): Redis {
  const redis = new Redis(url, WORKER_REDIS_OPTIONS);
  // outage tests stop Redis on purpose: its connection errors are expected, not output
  redis.on('error', () => undefined);
  return redis;
}

export type TestActivityConfig = ActivityDeps['config'];

/** Activity settings for tests: auto-replies off and alerts logged, unless a test points them at stand-ins. */
export function testActivityConfig(overrides: Partial<TestActivityConfig> = {}): TestActivityConfig {
  return {
    vesper: { apiUrl: 'http://127.0.0.1:9', apiKey: 'test-api-key', timeoutMs: 2000 },
    autoReply: { text: undefined, cooldownSeconds: 0, maxAgeSeconds: 3600, ownNumbers: [] },
    alertWebhookUrl: undefined,
    // short, so a test's alert groups open, update and close while it runs
    deadLetterAlerts: { windowSeconds: 3, updateSeconds: 2 },
    retention: { dataSeconds: 30 * 86_400 },
    ...overrides,
  };
}

/** A worker on a fresh task queue running the prebuilt bundle and the real activities. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  redis: Redis,
  config: TestActivityConfig = testActivityConfig(),
): Promise<Worker> {
  const metrics = createWorkerMetrics({
    deadLettersOpen: () => redis.zcard(redisKeys.deadLettersOpen),
    backlog: async () => undefined,
  });
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: createActivities({ redis, client: env.client, config, logger: pino({ level: 'silent' }) }),
    sinks: metrics.sinks,
    interceptors: { activity: [metrics.activityInterceptor] },
  });
}
