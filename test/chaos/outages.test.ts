/**
 * `npm run chaos:outages`, shortened: Redis down for 40 s and Vesper answering 500 for 60 s while 300 events
 * arrive (the full run: 10 and 30 minutes). Outages are waited out, not dead-lettered: nothing lost, nothing
 * doubled, no dead letter, and a handful of alerts per fault. Own dev server and Redis (it breaks them), entry
 * points from src/ through tsx.
 */
import { describe, expect, it } from 'vitest';
import { OUTAGES_PROFILE } from '../../chaos/lib/options';
import { MAX_ALERTS_PER_FAULT } from '../../chaos/lib/result';
import { runShortChaos } from '../helpers/chaos';

const OUTAGES_TEST_TIMEOUT_MS = 480_000;

describe('chaos run with long outages, shortened', () => {
  it(
    'waits out a Redis outage and a Vesper outage: 0 lost, 0 doubled, 0 dead letters, a handful of alerts',
    async () => {
      const { result, report } = await runShortChaos({
        ...OUTAGES_PROFILE,
        events: 300,
        ratePerSecond: 15,
        redisOutageSeconds: 40,
        vesperOutageSeconds: 60,
        drainTimeoutSeconds: 240,
      });

      expect(result.faults.map((f) => f.kind).sort(), report).toEqual(['redis-outage', 'vesper-outage']);
      expect(result.lost.events, report).toBe(0);
      expect(result.duplicated.effects, report).toBe(0);
      expect(result.deadLetters.ever, report).toBe(0);
      expect(result.alerts.perFault, report).toBeLessThanOrEqual(MAX_ALERTS_PER_FAULT);
      expect(result.workflows.completed, report).toBe(result.load.distinct);
      expect(result.problems, report).toEqual([]);
    },
    OUTAGES_TEST_TIMEOUT_MS,
  );
});
