import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import type { AutoReplyConfig, VesperConfig } from '../config';
import { FAILURE_TYPES, type AutoReplyOutcome, type ProcessEventInput } from '../workflows/contracts';
import { postJson } from './http';
import { requireIds, str } from './messages';
import { MARKER_TTL_SECONDS, redisKeys } from './redis-keys';

/** Takes the contact's cooldown for this event; a retry of the same event finds its own claim. 1 = ours. */
const CLAIM_COOLDOWN = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

/** Gives the cooldown back when the reply was refused for good, so the contact's next message can try. */
const RELEASE_COOLDOWN = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface AutoReplyDeps {
  redis: Redis;
  vesper: VesperConfig;
  autoReply: AutoReplyConfig;
}

export function createAutoReplyActivities({ redis, vesper, autoReply }: AutoReplyDeps) {
  return {
    /**
     * Sends AUTO_REPLY_TEXT to the sender once per event: never to groups or our own messages, at most once per
     * contact per cooldown. Exactly once across retries: a marker per event key stops a resend after success,
     * and every attempt carries the event key as Idempotency-Key for the attempt whose answer was lost.
     */
    async sendAutoReply({ event, eventKey }: ProcessEventInput): Promise<AutoReplyOutcome> {
      if (!autoReply.text) return 'disabled';
      const { sessionId } = requireIds(event);
      const { data } = event;
      if (data.isGroup === true || str(data.from).endsWith('@g.us')) return 'group';
      const contact = digits(data.from);
      if (!contact) return 'no-sender';
      if (data.fromMe === true || autoReply.ownNumbers.includes(contact) || contact === digits(data.to)) {
        return 'own-message';
      }
      const marker = redisKeys.autoReply(eventKey);
      if ((await redis.get(marker)) === 'sent') return 'already-sent';
      const cooldownKey = redisKeys.autoReplyCooldown(sessionId, contact);
      if (autoReply.cooldownSeconds > 0) {
        const claimed = await redis.eval(
          CLAIM_COOLDOWN,
          1,
          cooldownKey,
          eventKey,
          String(autoReply.cooldownSeconds),
        );
        if (claimed !== 1) return 'cooldown';
      }
      await redis.set(marker, 'pending', 'EX', MARKER_TTL_SECONDS);
      try {
        await postJson({
          what: 'Vesper send',
          url: `${vesper.apiUrl}/messages/send/text`,
          headers: { 'x-api-key': vesper.apiKey, 'Idempotency-Key': eventKey },
          body: { session: sessionId, to: contact, text: autoReply.text },
          timeoutMs: vesper.timeoutMs,
          rejectedType: FAILURE_TYPES.vesperRejected,
        });
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          await redis.eval(RELEASE_COOLDOWN, 1, cooldownKey, eventKey);
        }
        throw err;
      }
      await redis.set(marker, 'sent', 'EX', MARKER_TTL_SECONDS);
      return 'sent';
    },
  };
}

/** `905551234567@s.whatsapp.net` → `905551234567`: the form Vesper's send API takes. */
export function digits(jid: unknown): string {
  return str(jid).split('@')[0]?.replace(/\D/g, '') ?? '';
}
