import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import type { AutoReplyConfig, VesperConfig } from '../config';
import { FAILURE_TYPES, type AutoReplyOutcome, type ProcessEventInput } from '../workflows/contracts';
import { activityCancellation, asciiIdempotencyKey, postJson } from './http';
import { requireIds, str } from './messages';
import { MARKER_TTL_SECONDS, redisKeys } from '../redis-keys';

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
     * contact per cooldown. A marker per event key stops a resend after a success that was recorded; an attempt
     * whose answer was lost is sent again, with the same Idempotency-Key (a digest of the event key) for an API
     * that honours one. Vesper documents none: the README says what that leaves.
     */
    async sendAutoReply({ event, eventKey }: ProcessEventInput): Promise<AutoReplyOutcome> {
      if (!autoReply.text) return 'disabled';
      const { sessionId } = requireIds(event);
      const { data } = event;
      if (data.isGroup === true || str(data.from).endsWith('@g.us')) return 'group';
      if (!str(data.from)) return 'no-sender';
      const contact = phoneNumber(data.from);
      if (!contact) return 'not-a-phone-number';
      if (
        data.fromMe === true ||
        autoReply.ownNumbers.includes(contact) ||
        contact === phoneNumber(data.to)
      ) {
        return 'own-message';
      }
      const marker = redisKeys.autoReply(eventKey);
      if ((await redis.get(marker)) === 'sent') return 'already-sent';
      refuseWhenTooOld(event, autoReply.maxAgeSeconds);
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
      // a send that fails for good gives the claim back from the workflow (releaseAutoReplyCooldown), retries
      // exhausted or refused alike
      await postJson({
        what: 'Vesper send',
        url: `${vesper.apiUrl}/messages/send/text`,
        // Vesper's docs do not document Idempotency-Key: sent for an API that honours it, relied on by nothing
        headers: { 'x-api-key': vesper.apiKey, 'Idempotency-Key': asciiIdempotencyKey(eventKey) },
        body: { session: sessionId, to: contact, text: autoReply.text },
        timeoutMs: vesper.timeoutMs,
        rejectedType: FAILURE_TYPES.vesperRejected,
        cancelled: activityCancellation(),
      });
      await redis.set(marker, 'sent', 'EX', MARKER_TTL_SECONDS);
      return 'sent';
    },

    /**
     * After the send failed for good (retries exhausted too): gives this event's cooldown claim back, so the
     * contact's next message is answered instead of waiting out the cooldown for a reply that never went out.
     */
    async releaseAutoReplyCooldown({ event, eventKey }: ProcessEventInput): Promise<{ released: boolean }> {
      const contact = phoneNumber(event.data.from);
      const { sessionId } = event.data;
      if (!contact || typeof sessionId !== 'string') return { released: false };
      const released = await redis.eval(
        RELEASE_COOLDOWN,
        1,
        redisKeys.autoReplyCooldown(sessionId, contact),
        eventKey,
      );
      return { released: released === 1 };
    },
  };
}

/**
 * Every attempt checks the event's age (its envelope time, Vesper's, which the receiver's window checked too),
 * so a Vesper outage longer than AUTO_REPLY_MAX_AGE_SECONDS ends in ReplyExpired (a dead letter, grouped into one
 * alert) instead of a reply hours late.
 */
function refuseWhenTooOld(event: ProcessEventInput['event'], maxAgeSeconds: number): void {
  const stamped = Date.parse(event.timestamp);
  if (!Number.isFinite(stamped)) return;
  const ageSeconds = Math.floor((Date.now() - stamped) / 1000);
  if (ageSeconds <= maxAgeSeconds) return;
  throw ApplicationFailure.nonRetryable(
    `the message is ${ageSeconds} s old, past AUTO_REPLY_MAX_AGE_SECONDS (${maxAgeSeconds} s): no reply sent`,
    FAILURE_TYPES.replyExpired,
  );
}

/** Servers whose JIDs are phone numbers; `@lid`, `@g.us`, `@broadcast`, `@newsletter` are not. */
const PHONE_SERVERS = new Set(['s.whatsapp.net', 'c.us']);

/**
 * `905551234567@s.whatsapp.net`, `905551234567:12@s.whatsapp.net` (device 12), `905551234567_1:3@…` (agent,
 * device) or bare digits → `905551234567`, the form Vesper's send API takes (its docs: `"to": "905551234567"`).
 * Anything else (a LID, a group, letters) is no phone number: undefined, never a guess.
 */
export function phoneNumber(jid: unknown): string | undefined {
  const [userPart = '', server, ...rest] = str(jid).trim().split('@');
  if (rest.length > 0 || (server !== undefined && !PHONE_SERVERS.has(server.toLowerCase()))) return undefined;
  const user = userPart.split(':')[0]?.split('_')[0]?.replace(/^\+/, '') ?? '';
  return /^\d{6,15}$/.test(user) ? user : undefined;
}
