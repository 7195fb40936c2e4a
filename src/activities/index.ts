import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '../config';
import type { Logger } from '../logger';
import { createAlertActivities } from './alerts';
import { createAutoReplyActivities } from './auto-reply';
import { createDeadLetterAlertActivities } from './dead-letter-alerts';
import { createDeadLetterActivities } from './dead-letters';
import { classifyingStorageErrors, reportingAttempt } from './failures';
import { createMessageActivities } from './messages';
import { createSessionAndEventActivities } from './sessions-and-events';
import { createSessionApiActivities, createSessionNoticeActivities } from './session-watchdog';

export interface ActivityDeps {
  redis: Redis;
  /** For signal-with-start of the dead-letter alert groups and the session watchdogs; the worker's connection. */
  client: Client;
  config: Pick<
    WorkerConfig,
    'vesper' | 'autoReply' | 'alertWebhookUrl' | 'deadLetterAlerts' | 'retention' | 'sessionWatchdog'
  >;
  logger: Logger;
}

/** Activities close over injected clients: the worker passes real ones, tests pass their own. */
export function createActivities({ redis, client, config, logger }: ActivityDeps) {
  // the storage steps say whether a failure is an outage (waited out) or a refusal (a dead letter)
  const storage = around(
    {
      ...createMessageActivities(redis, config.retention),
      ...createSessionAndEventActivities(redis, config.retention),
    },
    classifyingStorageErrors,
  );
  return around(
    {
      ...storage,
      ...createAutoReplyActivities({ redis, vesper: config.vesper, autoReply: config.autoReply }),
      ...createAlertActivities({ redis, alertWebhookUrl: config.alertWebhookUrl, logger }),
      ...createDeadLetterActivities(redis, config.retention),
      ...createDeadLetterAlertActivities({ client, grouping: config.deadLetterAlerts }),
      ...createSessionNoticeActivities({ client, settings: config.sessionWatchdog }),
      ...createSessionApiActivities(config.vesper),
    },
    reportingAttempt,
  );
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
export type SessionNoticeActivities = ReturnType<typeof createSessionNoticeActivities>;
export type SessionApiActivities = ReturnType<typeof createSessionApiActivities>;

/** Each activity run inside `wrapper` (e.g. reportingAttempt), with the same signature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any activity signature
function around<T extends Record<string, (...args: any[]) => Promise<unknown>>>(
  activities: T,
  wrapper: (body: () => Promise<unknown>) => Promise<unknown>,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = (...args: unknown[]) => wrapper(() => fn(...args));
  }
  return wrapped as T;
}
