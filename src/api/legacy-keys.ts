import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { MAX_EVENT_KEY_LENGTH } from '../workflows/contracts';

/** When this deployment first ran a receiver with today's key form (epoch ms); set once, never moved. */
export const KEY_FORM_SINCE_KEY = 'wa:event-key-form:2:since';

/** Old receivers can still be running this long after the first new one started (a rolling upgrade). */
const ROLLOUT_MARGIN_MS = 86_400_000;

/** Whether an event's legacy IDs name a run an old receiver started: the event is then a duplicate. */
export type FindLegacyRun = (legacyKeys: readonly string[]) => Promise<string | undefined>;

/**
 * Legacy IDs matter only while a redelivery of an event an old receiver took can still arrive: until the key
 * form's start + the acceptance window (older events are refused anyway) + a rollout margin. After that this
 * costs nothing. If Redis cannot say when the form started, it checks (one describe per legacy ID).
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
        await deps.redis.set(KEY_FORM_SINCE_KEY, String(now()), 'NX');
        sinceMs = Number(await deps.redis.get(KEY_FORM_SINCE_KEY)) || undefined;
      } catch {
        return false;
      }
    }
    return sinceMs !== undefined && now() > sinceMs + deps.maxEventAgeSeconds * 1000 + ROLLOUT_MARGIN_MS;
  }
  return async (legacyKeys) => {
    const candidates = legacyKeys.filter((key) => key.length <= MAX_EVENT_KEY_LENGTH);
    if (candidates.length === 0 || (await transitionOver())) return undefined;
    for (const workflowId of candidates) {
      try {
        await deps.client.withDeadline(Date.now() + deps.timeoutMs, () =>
          deps.client.workflow.getHandle(workflowId).describe(),
        );
        return workflowId;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return undefined;
  };
}
