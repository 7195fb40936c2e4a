/**
 * The cluster fault run (`npm run chaos:cluster`, shortened): a Vesper-like load through nginx into the production
 * topology while a worker, a receiver and the history role are SIGKILLed and PostgreSQL restarts; then every event
 * is checked as the dev-server chaos run checks it: none lost, no effect doubled, every workflow completed.
 */
import { describe, expect, it } from 'vitest';
import { CLUSTER_PROFILE } from '../../chaos/lib/options';
import { runShortChaos } from '../helpers/chaos';

const CLUSTER_CHAOS_TIMEOUT_MS = 600_000;

describe('cluster fault run', () => {
  it(
    'loses nothing and doubles nothing through a worker, a receiver and the history role killed and a PostgreSQL restart',
    async () => {
      // npm run chaos:cluster's faults, on a shorter load
      const { result, report } = await runShortChaos({
        ...CLUSTER_PROFILE,
        events: 400,
        ratePerSecond: 10,
        drainTimeoutSeconds: 300,
      });

      expect(result.faults.map((f) => f.kind).sort(), report).toEqual([
        'history-kill',
        'postgres-restart',
        'receiver-kill',
        'worker-kill',
      ]);
      expect(result.lost.events, report).toBe(0);
      expect(result.duplicated.effects, report).toBe(0);
      expect(result.workflows.completed, report).toBe(result.load.distinct);
      expect(result.problems, report).toEqual([]);
    },
    CLUSTER_CHAOS_TIMEOUT_MS,
  );
});
