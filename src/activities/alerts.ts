import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { FAILURE_TYPES } from '../workflows/contracts';
import { postJson } from './http';
import { MARKER_TTL_SECONDS, redisKeys } from './redis-keys';

export interface AlertInput {
  /** One alert per key, however often the activity runs. */
  alertKey: string;
  text: string;
  fields: Record<string, string>;
}

export type AlertOutcome = 'sent' | 'logged' | 'already-sent';

const ALERT_TIMEOUT_MS = 10_000;

export function createAlertActivities({
  redis,
  alertWebhookUrl,
  logger,
}: {
  redis: Redis;
  alertWebhookUrl?: string;
  logger: Logger;
}) {
  return {
    /** Posts a Slack-compatible `{ text }` (plus structured fields) to ALERT_WEBHOOK_URL; unset: an error log line. */
    async alertTeam({ alertKey, text, fields }: AlertInput): Promise<AlertOutcome> {
      const marker = redisKeys.alert(alertKey);
      if (await redis.exists(marker)) return 'already-sent';
      if (!alertWebhookUrl) {
        logger.error({ alertKey, ...fields }, text);
      } else {
        await postJson({
          what: 'alert webhook',
          url: alertWebhookUrl,
          headers: { 'Idempotency-Key': alertKey },
          body: { text, alertKey, fields },
          timeoutMs: ALERT_TIMEOUT_MS,
          rejectedType: FAILURE_TYPES.alertRejected,
        });
      }
      await redis.set(marker, alertWebhookUrl ? 'sent' : 'logged', 'EX', MARKER_TTL_SECONDS);
      return alertWebhookUrl ? 'sent' : 'logged';
    },
  };
}
