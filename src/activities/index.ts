import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '../config';
import type { Logger } from '../logger';
import { createAlertActivities } from './alerts';
import { createAutoReplyActivities } from './auto-reply';
import { createDeadLetterAlertActivities } from './dead-letter-alerts';
import { createDeadLetterActivities } from './dead-letters';
import { reportingAttempt } from './failures';
import { createMessageActivities } from './messages';
import { createSessionAndEventActivities } from './sessions-and-events';

export interface ActivityDeps {
  redis: Redis;
  /** For signal-with-start of the dead-letter alert groups; on the worker's own connection. */
  client: Client;
  config: Pick<WorkerConfig, 'vesper' | 'autoReply' | 'alertWebhookUrl' | 'deadLetterAlerts' | 'retention'>;
  logger: Logger;
}

/** Activities close over injected clients: the worker passes real ones, tests pass their own. */
export function createActivities({ redis, client, config, logger }: ActivityDeps) {
  return withAttemptReporting({
    ...createMessageActivities(redis, config.retention),
    ...createAutoReplyActivities({ redis, vesper: config.vesper, autoReply: config.autoReply }),
    ...createAlertActivities({ redis, alertWebhookUrl: config.alertWebhookUrl, logger }),
    ...createSessionAndEventActivities(redis, config.retention),
    ...createDeadLetterActivities(redis, config.retention),
    ...createDeadLetterAlertActivities({ client, grouping: config.deadLetterAlerts }),
  });
}

export type Activities = ReturnType<typeof createActivities>;

/** The activities of each retry class (src/workflows/retry-policies.ts), so the workflow binds each once. */
export type StorageActivities = ReturnType<typeof createMessageActivities> &
  ReturnType<typeof createSessionAndEventActivities> &
  Pick<Activities, 'releaseAutoReplyCooldown'>;
export type VesperActivities = Pick<Activities, 'sendAutoReply'>;
export type AlertActivities = ReturnType<typeof createAlertActivities> &
  ReturnType<typeof createDeadLetterAlertActivities>;
export type DeadLetterActivities = ReturnType<typeof createDeadLetterActivities>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any activity signature
function withAttemptReporting<T extends Record<string, (...args: any[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = (...args: unknown[]) => reportingAttempt(() => fn(...args));
  }
  return wrapped as T;
}
