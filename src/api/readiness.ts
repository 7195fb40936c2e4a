import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'down'>;
}

export type CheckReady = () => Promise<Readiness>;

const CHECK_TIMEOUT_MS = 2000;

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
