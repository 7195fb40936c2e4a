import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { bestEffort } from './best-effort';
import { FAILURE_TYPES } from '../workflows/contracts';
import { activityCancellation, asciiIdempotencyKey, postJson } from './http';
import { MARKER_TTL_SECONDS, redisKeys } from '../redis-keys';

export interface AlertInput {
  /** One alert per key, however often the activity runs. */
  alertKey: string;
  text: string;
  fields: Record<string, string>;
}

export type AlertOutcome = 'sent' | 'logged' | 'already-sent';

const ALERT_TIMEOUT_MS = 10_000;

export interface AlertChannel {
  alertWebhookUrl?: string;
  logger: Logger;
  /** Inside an activity: its cancellation signal. */
  cancelled?: () => AbortSignal | undefined;
}

/** Posts a Slack-compatible `{ text }` (plus the key and structured fields), or logs it at error level when unset. */
export async function deliverAlert(
  channel: AlertChannel,
  { alertKey, text, fields }: AlertInput,
): Promise<'sent' | 'logged'> {
  if (!channel.alertWebhookUrl) {
    channel.logger.error({ alertKey, ...fields }, text);
    return 'logged';
  }
  await postJson({
    what: 'alert webhook',
    url: channel.alertWebhookUrl,
    headers: { 'Idempotency-Key': asciiIdempotencyKey(alertKey) },
    body: { text, alertKey, fields },
    timeoutMs: ALERT_TIMEOUT_MS,
    rejectedType: FAILURE_TYPES.alertRejected,
    cancelled: channel.cancelled?.(),
  });
  return 'sent';
}

export function createAlertActivities({ redis, ...channel }: { redis: Redis } & AlertChannel) {
  return {
    /**
     * Delivers an alert (see deliverAlert) once per alert key where Redis is up. Redis is a courtesy here, never a
     * condition: while it is unreachable the alert goes out unmarked (the webhook still gets the same
     * Idempotency-Key on every attempt), since an alert held back by the outage it reports is no alert.
     */
    async alertTeam({ alertKey, text, fields }: AlertInput): Promise<AlertOutcome> {
      const marker = redisKeys.alert(alertKey);
      if ((await bestEffort(redis, (r) => r.exists(marker))) === 1) return 'already-sent';
      const outcome = await deliverAlert(
        { ...channel, cancelled: activityCancellation },
        { alertKey, text, fields },
      );
      await bestEffort(redis, (r) => r.set(marker, outcome, 'EX', MARKER_TTL_SECONDS));
      return outcome;
    },
  };
}
