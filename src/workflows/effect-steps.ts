/**
 * The event workflow's outward effects (the Vesper auto-reply, the team alert), each tried as a local activity
 * first, inside the workflow task, and handed to an ordinary activity with the long retry policy when its short
 * bound is spent: a failing send still shows in the Web UI as a pending activity with its attempts, and a
 * failure retrying cannot fix is a dead letter as before. Both kinds run the same activity: the same marker, the
 * same Idempotency-Key.
 */
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { AlertActivities, SessionNoticeActivities, VesperActivities } from '../activities';
import { localFirst, retryable } from './local-first';
import { PATCHES } from './patches';
import { RETRY_POLICIES } from './retry-policies';

type EffectActivities = VesperActivities & Pick<AlertActivities, 'alertTeam'>;

// picked by name: an activity proxy is a Proxy, with no own keys to spread
const local: EffectActivities = {
  sendAutoReply: proxyLocalActivities<VesperActivities>(RETRY_POLICIES.outboundHttpLocal).sendAutoReply,
  alertTeam: proxyLocalActivities<AlertActivities>(RETRY_POLICIES.alertingLocal).alertTeam,
};
const ordinary: EffectActivities = {
  sendAutoReply: proxyActivities<VesperActivities>(RETRY_POLICIES.outboundHttp).sendAutoReply,
  alertTeam: proxyActivities<AlertActivities>(RETRY_POLICIES.alerting).alertTeam,
};

/**
 * Runs recorded before 0.4 scheduled the ordinary activity first; the patch (its marker, once per run) keeps
 * them replaying as they were.
 */
function effect<K extends keyof EffectActivities>(name: K, nonRetryableTypes: readonly string[]) {
  type Run = (...args: Parameters<EffectActivities[K]>) => ReturnType<EffectActivities[K]>;
  const localThenOrdinary = localFirst(name, local, ordinary, retryable(nonRetryableTypes)) as Run;
  const run: Run = (...args) =>
    patched(PATCHES.localFirstEffects) ? localThenOrdinary(...args) : (ordinary[name] as Run)(...args);
  return run as unknown as EffectActivities[K];
}

export const sendAutoReply = effect(
  'sendAutoReply',
  RETRY_POLICIES.outboundHttp.retry.nonRetryableErrorTypes,
);
export const alertTeam = effect('alertTeam', RETRY_POLICIES.alerting.retry.nonRetryableErrorTypes);

const notice = {
  local: proxyLocalActivities<SessionNoticeActivities>(RETRY_POLICIES.watchdogNoticeLocal),
  ordinary: proxyActivities<SessionNoticeActivities>(RETRY_POLICIES.watchdogNotice),
};

/** Waking the session's watchdog (0.5, its own patch): local attempts first, then retried until Temporal takes it. */
export const notifySessionWatchdog = localFirst(
  'notifySessionWatchdog',
  { notifySessionWatchdog: notice.local.notifySessionWatchdog },
  { notifySessionWatchdog: notice.ordinary.notifySessionWatchdog },
  retryable(RETRY_POLICIES.watchdogNotice.retry.nonRetryableErrorTypes),
);
