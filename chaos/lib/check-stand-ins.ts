/**
 * What reached the stand-ins. An effect is a key answered 2xx for the first time (a retry after a 500 had none).
 * The Vesper stand-in honours Idempotency-Key (Vesper's docs promise nothing; see the README): the same key answered 2xx again
 * is a resend the key absorbs (counted, not an effect); a second effect for the same message under another key
 * is a duplicate. The alert webhook is taken as not idempotent: any repeated alert key is a duplicate, except
 * one whose first delivery was in flight when a process was SIGKILLed: the worker died before it could record the
 * send, and its retry resends under the same Idempotency-Key (at least once, by design: an alert lost to a crash
 * is worse). Those are counted apart, and shown.
 */
import { asciiIdempotencyKey } from '../../src/activities/http';
import type { RecordedRequest, StandIn } from '../../support/stand-in';
import type { Expectations } from './expectations';
import { AUTO_REPLY_TEXT } from './stack';

export interface StandInFindings {
  /** Event key → why its effect is missing. */
  missing: Map<string, string>;
  repliesSent: number;
  /** Keys answered 2xx more than once (each extra answer counted): absorbed by the Idempotency-Key. */
  vesperSameKeyResends: number;
  /** Messages that got more than one auto-reply effect (each extra counted): a duplicate the key did not stop. */
  vesperDuplicateEffects: number;
  /** Which keys, and when each 2xx answer went out (s since the load started). */
  duplicateExamples: string[];
  /** Replies to messages the rules must leave unanswered. */
  unexpectedReplies: number;
  /** Replies to the wrong session or contact, or with the wrong text. */
  wrongReplies: number;
  /** Sends answered 500 (the injected outage). */
  vesperRefused: number;
  alertDuplicates: number;
  /** Repeated alert keys whose first delivery was answered within a crash's window (see above). */
  alertResendsAfterCrash: number;
  /** Alerts of the dead-letter groups (opened, updated, closed). */
  deadLetterAlerts: number;
  /** Trend alerts by `<trend>:<state>`, e.g. `activity-error-rate:firing`. */
  trendAlerts: Record<string, number>;
}

export function checkStandIns(
  vesper: StandIn,
  alerts: StandIn,
  expected: Expectations,
  loadStartedAt: number,
  /** When processes were SIGKILLed (epoch ms). */
  crashesAt: number[] = [],
): StandInFindings {
  const missing = new Map<string, string>();
  // Idempotency-Key carries a digest of the event key (header values must be ASCII)
  // the auto-replies; the watchdogs' session restarts and status checks are sessions.ts's
  const sendRequests = vesper.requests.filter((r) => r.path === '/messages/send/text');
  const sends = effectsByKey(sendRequests);
  const expectedSends = new Set([...expected.replies.keys()].map(asciiIdempotencyKey));
  let wrongReplies = 0;
  for (const [key, reply] of expected.replies) {
    const send = sends.get(asciiIdempotencyKey(key));
    if (!send) {
      missing.set(key, 'auto-reply never answered 2xx by Vesper');
      continue;
    }
    const body = send.body as { session?: unknown; to?: unknown; text?: unknown };
    if (body.session !== reply.sessionId || body.to !== reply.to || body.text !== AUTO_REPLY_TEXT)
      wrongReplies++;
  }
  // alerts by the key in their body, which the stand-in sees as its digest
  const alertEffects = new Map(
    alerts.requests.filter((r) => r.effect).map((r) => [(r.body as { alertKey?: string }).alertKey ?? '', r]),
  );
  const alertKeys = [...alertEffects.keys()];
  return {
    missing,
    repliesSent: [...sends.keys()].filter((k) => expectedSends.has(k)).length,
    vesperSameKeyResends: sendRequests.filter((r) => r.duplicate).length,
    vesperDuplicateEffects: extraEffectsPerRecipient([...sends.values()]),
    duplicateExamples: [...sendRequests, ...alerts.requests]
      .filter((r) => r.duplicate)
      .slice(0, 5)
      .map((dup) => {
        const answers = [...sendRequests, ...alerts.requests].filter(
          (r) => r.idempotencyKey === dup.idempotencyKey && (r.effect || r.duplicate),
        );
        const times = answers.map((r) => `${((r.at - loadStartedAt) / 1000).toFixed(1)} s`);
        return `${dup.idempotencyKey}: answered 2xx at ${times.join(', ')}`;
      }),
    unexpectedReplies: [...sends.keys()].filter((k) => !expectedSends.has(k)).length,
    wrongReplies,
    vesperRefused: sendRequests.filter((r) => !r.effect && !r.duplicate).length,
    ...alertRepeats(alerts.requests, crashesAt),
    deadLetterAlerts: alertKeys.filter((k) => k.startsWith('dead-letter')).length,
    trendAlerts: countBy(
      alertKeys.filter((k) => k.startsWith('trend:')).map((k) => k.split(':').slice(1, 3).join(':')),
    ),
  };
}

/** A send in flight at a SIGKILL was answered at most this long after it (the kill lands within ms). */
const CRASH_WINDOW_MS = 2000;

function alertRepeats(
  requests: RecordedRequest[],
  crashesAt: number[],
): { alertDuplicates: number; alertResendsAfterCrash: number } {
  let alertDuplicates = 0;
  let alertResendsAfterCrash = 0;
  for (const dup of requests.filter((r) => r.duplicate)) {
    const first = requests.find((r) => r.effect && r.idempotencyKey === dup.idempotencyKey);
    const crashed =
      first && crashesAt.some((at) => first.at >= at - CRASH_WINDOW_MS && first.at <= at + CRASH_WINDOW_MS);
    if (crashed) alertResendsAfterCrash++;
    else alertDuplicates++;
  }
  return { alertDuplicates, alertResendsAfterCrash };
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** Each message gets its reply to its own sender (a contact per message in the load): more than one is extra. */
function extraEffectsPerRecipient(effects: RecordedRequest[]): number {
  const perRecipient = new Map<string, number>();
  for (const e of effects) {
    const { session, to } = e.body as { session?: unknown; to?: unknown };
    const recipient = `${String(session)}|${String(to)}`;
    perRecipient.set(recipient, (perRecipient.get(recipient) ?? 0) + 1);
  }
  return [...perRecipient.values()].reduce((extra, n) => extra + n - 1, 0);
}

function effectsByKey(requests: RecordedRequest[]): Map<string, RecordedRequest> {
  return new Map(requests.filter((r) => r.effect).map((r) => [r.idempotencyKey ?? '', r]));
}
