import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Redis } from 'ioredis';
import pino from 'pino';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../src/activities';
import { loadWorkerConfig } from '../../src/config';
import {
  createProcessingWorker,
  WORKER_REDIS_OPTIONS,
  type ProcessingWorker,
} from '../../src/processing-worker';
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

/**
 * Seconds instead of minutes, so a test sees a watchdog's grace end, its restarts, escalation and completion; a
 * flapping window long enough that a test's own drops are not flapping unless it means them to be.
 */
export const TEST_SESSION_WATCHDOG: TestActivityConfig['sessionWatchdog'] = {
  graceSeconds: 3,
  escalateAfterSeconds: 10,
  reminderSeconds: 8,
  restartIntervalSeconds: 1,
  restartMaxIntervalSeconds: 4,
  restartMaxAttempts: 3,
  statusCheckDelaySeconds: 1,
  flapDisconnects: 3,
  flapWindowSeconds: 6,
  historyLimit: 2000,
};

/** Activity settings for tests: auto-replies off and alerts logged, unless a test points them at stand-ins. */
export function testActivityConfig(overrides: Partial<TestActivityConfig> = {}): TestActivityConfig {
  return {
    vesper: { apiUrl: 'http://127.0.0.1:9', apiKey: 'test-api-key', timeoutMs: 2000 },
    autoReply: { text: undefined, cooldownSeconds: 0, maxAgeSeconds: 3600, ownNumbers: [] },
    alertWebhookUrl: undefined,
    // short, so a test's alert groups open, update and close while it runs
    deadLetterAlerts: { windowSeconds: 3, updateSeconds: 2 },
    sessionWatchdog: TEST_SESSION_WATCHDOG,
    retention: { dataSeconds: 30 * 86_400 },
    ...overrides,
  };
}

/**
 * The production worker (createProcessingWorker: its own Redis client, monitoring, the real activities) on a fresh
 * task queue, loading the run's workflow bundle; its metrics endpoint off, and trend checks too far apart to fire
 * during a test (test/ops covers both).
 */
export function startTestWorker(
  env: TestWorkflowEnvironment,
  options: {
    activities?: TestActivityConfig;
    redisUrl?: string;
    /** More variables for the worker's config, e.g. WORKER_METRICS_PORT to serve /metrics. */
    extraEnv?: Record<string, string>;
  } = {},
): Promise<ProcessingWorker> {
  const defaults = loadWorkerConfig({
    REDIS_URL: options.redisUrl ?? inject('redisUrl'),
    TEMPORAL_TASK_QUEUE: uniqueId('tq'),
    WORKER_METRICS_PORT: '0',
    TREND_CHECK_INTERVAL_SECONDS: '3600',
    ...options.extraEnv,
  });
  const activities = options.activities ?? testActivityConfig();
  return createProcessingWorker({
    config: { ...defaults, ...activities },
    connection: env.nativeConnection,
    logger: pino({ level: 'silent' }),
    workflowBundlePath: inject('workflowBundlePath'),
  });
}
