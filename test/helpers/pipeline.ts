import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createTemporalStarter } from '../../src/api/start-event';
import type { processWhatsappEvent, sessionWatchdog } from '../../src/workflows';
import { eventKeyOf } from '../../src/api/event-key';
import { sessionWatchdogId, type VesperEvent } from '../../src/workflows/contracts';
import { StandIn } from '../../support/stand-in';
import {
  connectToDevServer,
  connectToRedis,
  startTestWorker,
  testActivityConfig,
  type TestActivityConfig,
} from './temporal';

export const AUTO_REPLY_TEXT = 'Thanks! We will get back to you shortly.';

/** For startPipeline: auto-replies off, for tests about something else. */
export const autoReplyOff = () => ({
  autoReply: { text: undefined, cooldownSeconds: 0, maxAgeSeconds: 3600, ownNumbers: [] },
});

/**
 * The processing side on real components: the run's dev server, its Redis, a worker with the real activities,
 * and stand-ins for Vesper's API and the alert webhook on loopback that record every request.
 */
export interface Pipeline {
  env: TestWorkflowEnvironment;
  redis: Redis;
  worker: Worker;
  vesper: StandIn;
  alerts: StandIn;
  /** Starts the event's workflow as the receiver would (same ID, options and search attributes). */
  start(event: VesperEvent): Promise<WorkflowHandle<typeof processWhatsappEvent>>;
  /** The session's watchdog on this pipeline's task queue (it may not have started yet). */
  watchdog(sessionId: string): WorkflowHandle<typeof sessionWatchdog>;
  close(): Promise<void>;
}

export async function startPipeline(
  configure: (urls: { vesper: string; alerts: string }) => Partial<TestActivityConfig> = () => ({}),
  standIns: { vesperHonoursIdempotencyKey?: boolean; redisUrl?: string } = {},
): Promise<Pipeline> {
  const [env, vesper, alerts] = await Promise.all([
    connectToDevServer(),
    StandIn.start({ ignoreIdempotency: standIns.vesperHonoursIdempotencyKey === false }),
    StandIn.start(),
  ]);
  const redis = connectToRedis(standIns.redisUrl);
  const overrides = configure({ vesper: vesper.url, alerts: `${alerts.url}/alerts` });
  const config = testActivityConfig({
    autoReply: { text: AUTO_REPLY_TEXT, cooldownSeconds: 0, maxAgeSeconds: 3600, ownNumbers: [] },
    alertWebhookUrl: `${alerts.url}/alerts`,
    ...overrides,
    // whatever else a test changes about Vesper, it is this stand-in
    vesper: { apiKey: 'test-api-key', timeoutMs: 2000, ...overrides.vesper, apiUrl: vesper.url },
  });
  const processing = await startTestWorker(env, { activities: config, redisUrl: standIns.redisUrl });
  const running = processing.run();
  const startEvent = createTemporalStarter(env.client, {
    taskQueue: processing.worker.options.taskQueue,
    timeoutMs: 5000,
  });
  return {
    env,
    redis,
    worker: processing.worker,
    vesper,
    alerts,
    async start(event) {
      const eventKey = eventKeyOf(event, JSON.stringify(event));
      await startEvent({ eventKey, event, receivedAt: new Date().toISOString() });
      return env.client.workflow.getHandle<typeof processWhatsappEvent>(eventKey);
    },
    watchdog: (sessionId) =>
      env.client.workflow.getHandle<typeof sessionWatchdog>(
        sessionWatchdogId(processing.worker.options.taskQueue, sessionId),
      ),
    async close() {
      processing.shutdown();
      await running;
      await Promise.all([vesper.close(), alerts.close(), redis.quit()]);
      await env.teardown();
    },
  };
}
