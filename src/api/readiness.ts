import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'down'>;
}

export type CheckReady = () => Promise<Readiness>;

const CHECK_TIMEOUT_MS = 2000;
/** A probe every second from each of several checkers costs Temporal one call per this interval at most. */
export const READINESS_CACHE_MS = 2000;

/**
 * Ready means Temporal answers for our namespace: that is what a 2xx depends on. Redis (where rejected events
 * are kept) is reported but does not gate readiness, so valid events keep flowing while it is down.
 */
export function createReadinessCheck(client: Client, namespace: string, redis: Redis): CheckReady {
  return async () => {
    const [temporal, store] = await Promise.all([
      client
        .withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
          client.workflowService.describeNamespace({ namespace }),
        )
        .then(() => 'ok' as const)
        .catch(() => 'down' as const),
      redis
        .ping()
        .then(() => 'ok' as const)
        .catch(() => 'down' as const),
    ]);
    return { ready: temporal === 'ok', checks: { temporal, redis: store } };
  };
}

/**
 * At most one check per `cacheMs`, however often readiness is asked; callers during a check share it. A probe
 * flood on /readyz then costs Temporal and Redis nothing more.
 */
export function cachedReadiness(check: CheckReady, cacheMs = READINESS_CACHE_MS): CheckReady {
  let last: { at: number; result: Promise<Readiness> } | undefined;
  return () => {
    const now = performance.now();
    if (!last || now - last.at >= cacheMs) last = { at: now, result: check() };
    return last.result;
  };
}
