/**
 * `npm run chaos`, shortened: 500 events sent like Vesper while the worker is SIGKILLed once, Redis restarts once
 * and Vesper answers 500 for 5 s; then every event is checked. The same orchestration (runChaos) with its own dev
 * server (SQLite file) and Redis (AOF), since it breaks them; the receiver and worker run from src/ through tsx,
 * so npm test needs no build. A fault at a random point (seed printed, CHAOS_SEED repeats it) can leave an
 * auto-reply waiting out its 30 s activity timeout, hence the generous timeout.
 */
import { describe, expect, it } from 'vitest';
import { runShortChaos } from '../helpers/chaos';

const CHAOS_TEST_TIMEOUT_MS = 360_000;

describe('chaos run, shortened', () => {
  it(
    'loses nothing and doubles nothing through a worker kill, a Redis restart and a Vesper outage',
    async () => {
      const { result, report } = await runShortChaos({
        events: 500,
        ratePerSecond: 15,
        workerKills: 1,
        temporalRestarts: 0,
        redisRestarts: 1,
        vesperOutages: 1,
        vesperOutageSeconds: 5,
        drainTimeoutSeconds: 240,
      });

      expect(result.faults.map((f) => f.kind).sort(), report).toEqual([
        'redis-restart',
        'vesper-outage',
        'worker-kill',
      ]);
      expect(result.lost.events, report).toBe(0);
      expect(result.duplicated.effects, report).toBe(0);
      expect(result.workflows.completed, report).toBe(result.load.distinct);
      expect(result.problems, report).toEqual([]);
    },
    CHAOS_TEST_TIMEOUT_MS,
  );
});
