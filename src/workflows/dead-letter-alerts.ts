import {
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertActivities } from '../activities';
import {
  deadLetterReported,
  type AlertGroupInput,
  type AlertGroupState,
  type DeadLetterReport,
} from './contracts';
import { RETRY_POLICIES } from './retry-policies';

// bounded tighter than elsewhere: a group must not sit in one alert's retries while a storm's reports pile up in
// its history (continue-as-new is checked in every wait, not during an alert)
const { alertTeam } = proxyActivities<AlertActivities>({
  ...RETRY_POLICIES.alerting,
  scheduleToCloseTimeout: '5 minutes',
});

/** Enough to recognise a report repeated by its activity's retry, small enough to carry over continue-as-new. */
const REMEMBERED_MEMBERS = 500;
const MAX_HISTORY_EVENTS = 5000;

type GroupAlert = 'opened' | 'updated' | 'closed';

/**
 * Dead-letter alerts grouped per (step, error type), as Hookdeck groups failures into issues: the first dead
 * letter opens the group with one alert, later ones are summed up in at most one update per `updateSeconds`,
 * and once none has joined for `windowSeconds` one alert says the group closed. A fault that dead-letters a
 * thousand events sends a handful of alerts. One workflow per group (see deadLetterGroupId), signalled with
 * start by each dead letter; it needs Temporal only, so it alerts while Redis is down.
 */
export async function deadLetterAlertGroup(input: AlertGroupInput): Promise<AlertGroupState> {
  const state: AlertGroupState = input.state ?? { total: 0, reported: 0, alertsSent: 0, recentMembers: [] };
  const members = new Set(state.recentMembers);
  setHandler(deadLetterReported, (report) => {
    const member = `${report.workflowId}/${report.runId}`;
    if (members.has(member)) return;
    members.add(member);
    state.recentMembers.push(member);
    if (state.recentMembers.length > REMEMBERED_MEMBERS) members.delete(state.recentMembers.shift() ?? '');
    state.total++;
    state.firstUnreported ??= report;
    state.latest = report;
  });
  const unreported = () => state.total > state.reported;
  // checked inside every wait, so a long storm cannot outgrow the history (or the per-run signal limit)
  const mustContinue = () => {
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    return continueAsNewSuggested || historyLength > MAX_HISTORY_EVENTS;
  };
  const carryOn = () => continueAsNew<typeof deadLetterAlertGroup>({ ...input, state });
  for (;;) {
    if (!state.openedAt) {
      await condition(() => unreported() || mustContinue());
      if (mustContinue()) return carryOn();
      state.openedAt = new Date().toISOString();
      await alert(input, state, 'opened');
    }
    const joined = await condition(() => unreported() || mustContinue(), input.windowSeconds * 1000);
    if (mustContinue()) return carryOn();
    if (joined) {
      // more joined: one update once the interval since the last alert has passed, whatever joins meanwhile
      const due = Date.parse(state.lastAlertAt ?? state.openedAt) + input.updateSeconds * 1000;
      const wait = due - Date.now();
      if (wait > 0 && (await condition(mustContinue, wait))) return carryOn();
      await alert(input, state, 'updated');
      continue;
    }
    await alert(input, state, 'closed');
    // a dead letter that joined while the closing alert was out opens the next group in this run
    Object.assign(state, { total: state.total - state.reported, reported: 0, openedAt: undefined });
    if (!unreported()) return state;
  }
}

async function alert(input: AlertGroupInput, state: AlertGroupState, kind: GroupAlert): Promise<void> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const fresh = state.total - state.reported;
  const text = alertText(input, state, kind, fresh);
  const latest = state.latest;
  state.alertsSent++;
  state.reported = state.total;
  state.lastAlertAt = new Date().toISOString();
  state.firstUnreported = undefined;
  try {
    await alertTeam({
      alertKey: `dead-letter-group:${workflowId}:${firstExecutionRunId}:${state.alertsSent}`,
      text,
      fields: {
        kind: 'dead-letter-group',
        state: kind,
        step: input.step,
        errorType: input.errorType,
        count: String(state.total),
        new: String(fresh),
        group: workflowId,
        latestWorkflowId: latest?.workflowId ?? '',
        latestError: latest?.error ?? '',
      },
    });
  } catch (err) {
    // the group goes on: the next alert carries the counts this one would have
    log.error('dead-letter group alert failed', { group: workflowId, kind, error: String(err) });
  }
}

function alertText(input: AlertGroupInput, state: AlertGroupState, kind: GroupAlert, fresh: number): string {
  const what = `${input.step} failing with ${input.errorType}`;
  const inspect = `Inspect: npm run dlq -- list --step ${input.step}`;
  const example = (r: DeadLetterReport | undefined) =>
    r ? `${r.eventType} ${r.workflowId}: ${r.error}` : '';
  const quiet =
    input.windowSeconds < 120 ? `${input.windowSeconds} s` : `${Math.round(input.windowSeconds / 60)} min`;
  const wayOut =
    input.errorType === 'ReplyExpired'
      ? 'the replies are too late to send: resubmit them, which closes each without a reply (npm run dlq -- resubmit --all --step sendAutoReply), or discard one by one'
      : `after the fix, resubmit them: npm run dlq -- resubmit --all --step ${input.step}`;
  if (kind === 'opened') {
    return `Dead letters: ${what} (${example(state.firstUnreported)}). Further ones are grouped here until none arrive for ${quiet}. ${inspect}; ${wayOut}`;
  }
  if (kind === 'updated') {
    return `Dead letters still arriving: ${what}, ${state.total} since ${state.openedAt} (+${fresh}; latest ${example(state.latest)}). ${inspect}`;
  }
  return `Dead-letter group closed: ${what}, ${state.total} from ${state.openedAt} to ${state.latest?.failedAt ?? '?'}${fresh > 0 ? ` (+${fresh} since the last alert)` : ''}; none for ${quiet}. The open ones still need a way out (resubmit or discard): npm run dlq -- list --step ${input.step}`;
}
