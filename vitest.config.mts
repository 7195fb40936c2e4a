import { defineConfig } from 'vitest/config';

/**
 * Three tiers. `npm test` runs them all (as CI does); `npm run test:unit` runs the first alone, for the edit loop.
 * - unit: pure modules, the receiver app through `app.callback()`, the cluster supervisor on /bin/sh children; no
 *   server, no port, seconds.
 * - integration: the real stack; one Temporal dev server and one Redis for the whole run (global setup), tests
 *   isolated by task queue and IDs.
 * - chaos: the shortened chaos runs, each with its own dev server and Redis, since they break them.
 * - cluster: the production topology (`npm run cluster`), not part of `npm test`: `npm run test:cluster`.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // the Temporal worker's native core is happiest in child processes, not worker threads
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/http/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', 'test/http/**', 'test/chaos/**', 'test/cluster/**'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'] } },
      // `npm run test:cluster` only (CI runs it after npm test): the production topology on its fixed ports, so
      // one file at a time, after the first run's Go builds
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          fileParallelism: false,
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 300_000,
        },
      },
    ],
  },
});
