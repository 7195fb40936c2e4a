/**
 * The storage steps of the event workflow (Redis writes), each tried as a local activity first and, when an
 * outage outlasts that, as an ordinary activity that waits it out.
 */
import {
  ApplicationFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type ActivityFailure,
} from '@temporalio/workflow';
import { TimeoutFailure } from '@temporalio/common';
import type { StorageActivities } from '../activities';
import { FAILURE_TYPES } from './contracts';
import { localFirst } from './local-first';
import { PATCHES } from './patches';
import { RETRY_POLICIES } from './retry-policies';

// Redis writes are short and idempotent: local activities, run by the worker inside the workflow task, save
// the server two tasks and four history events each (measured with npm run bench: server CPU per event -25 %).
// Past their short bound (an outage, not a blip) the same write goes on as an ordinary activity: see stored().
const localStorage = proxyLocalActivities<StorageActivities>(RETRY_POLICIES.storage);
const outageStorage = proxyActivities<StorageActivities>(RETRY_POLICIES.storageOutage);
export const { releaseAutoReplyCooldown } = localStorage;

/**
 * Whether the local attempts were spent by an outage, which the ordinary activity waits out: Redis unreachable
 * or not answering (StorageUnavailable, see activities/failures.ts) or an attempt timing out. Anything else (a
 * refusal, a bug) is a dead letter: visible, alerted, and resubmittable once fixed, never retried forever.
 */
function outage(failure: ActivityFailure): boolean {
  const cause = failure.cause;
  if (cause instanceof TimeoutFailure) return true;
  return cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.storageUnavailable;
}

/**
 * A storage step: local attempts first; when an outage spent them, the same write as an ordinary activity that
 * retries until Redis answers, shown in the Web UI as a pending activity with its attempts and last failure.
 */
const stored = <K extends 'saveMessage' | 'updateMessageStatus' | 'recordSessionState' | 'recordEvent'>(
  name: K,
) => localFirst(name, localStorage, outageStorage, outage, () => patched(PATCHES.storageOutage));

export const saveMessage = stored('saveMessage');
export const updateMessageStatus = stored('updateMessageStatus');
export const recordSessionState = stored('recordSessionState');
export const recordEvent = stored('recordEvent');
