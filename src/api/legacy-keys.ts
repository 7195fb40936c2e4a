import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Redis } from 'ioredis';
import { redisKeys } from '../redis-keys';
import { MAX_EVENT_KEY_LENGTH, type ProcessEventInput, type VesperEvent } from '../workflows/contracts';

/** Old receivers can still be running this long after the first new one started (a rolling upgrade). */
const ROLLOUT_MARGIN_MS = 86_400_000;

/**
 * The run an old receiver started for this very event under one of its legacy IDs, if any: the event is then a
 * redelivery. Old forms were not unique (two reactions to one message shared one), so a run under a legacy ID
 * counts only when its input is this event.
 */
export type FindLegacyRun = (
  legacyKeys: readonly string[],
  event: VesperEvent,
) => Promise<string | undefined>;

/**
 * Legacy IDs matter only while a redelivery of an event an old receiver took can still arrive: until the key
 * form's start + the acceptance window (older events are refused anyway) + a rollout margin. After that this
 * costs nothing. If Redis cannot say when the form started, it checks: a describe per legacy ID, and the run's
 * history only where one exists.
 */
export function createLegacyRunFinder(deps: {
  client: Client;
  redis: Redis;
  maxEventAgeSeconds: number;
  /** Bounds the describes, like the start they precede. */
  timeoutMs: number;
  now?: () => number;
}): FindLegacyRun {
  const now = deps.now ?? Date.now;
  let sinceMs: number | undefined;
  async function transitionOver(): Promise<boolean> {
    if (sinceMs === undefined) {
      try {
        await deps.redis.set(redisKeys.eventKeyFormSince, String(now()), 'NX');
        sinceMs = Number(await deps.redis.get(redisKeys.eventKeyFormSince)) || undefined;
      } catch {
        return false;
      }
    }
    return sinceMs !== undefined && now() > sinceMs + deps.maxEventAgeSeconds * 1000 + ROLLOUT_MARGIN_MS;
  }
  return async (legacyKeys, event) => {
    const candidates = legacyKeys.filter((key) => Buffer.byteLength(key) <= MAX_EVENT_KEY_LENGTH);
    if (candidates.length === 0 || (await transitionOver())) return undefined;
    for (const workflowId of candidates) {
      const started = await deps.client.withDeadline(Date.now() + deps.timeoutMs, () =>
        startedWith(deps.client, workflowId),
      );
      if (started && sameEvent(started.event, event)) return workflowId;
    }
    return undefined;
  };
}

/** The input a workflow was started with, or undefined when there is no such workflow. */
async function startedWith(client: Client, workflowId: string): Promise<ProcessEventInput | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<ProcessEventInput>(payload) : undefined;
}

/** Both parsed from signed bytes, with the same field order when the bytes were the same. */
function sameEvent(a: VesperEvent | undefined, b: VesperEvent): boolean {
  return (
    a !== undefined &&
    JSON.stringify([a.type, a.timestamp, a.data]) === JSON.stringify([b.type, b.timestamp, b.data])
  );
}
