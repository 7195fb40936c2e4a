import type { Redis } from 'ioredis';

/** How long a best-effort Redis call may hold up what does not depend on it (an alert, a scrape). */
export const BEST_EFFORT_REDIS_MS = 1000;

/**
 * A Redis call that must not hold anything up while Redis is unreachable: undefined at once when the client is
 * not connected, or when the answer takes longer than `timeoutMs`.
 */
export async function bestEffort<T>(
  redis: Redis,
  call: (redis: Redis) => Promise<T>,
  timeoutMs = BEST_EFFORT_REDIS_MS,
): Promise<T | undefined> {
  if (redis.status !== 'ready') return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([call(redis).catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
