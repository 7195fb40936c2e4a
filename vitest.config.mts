import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // one Temporal dev server and one Redis for the whole run; tests isolate by task queue and IDs
    globalSetup: ['test/global-setup.ts'],
    // the Temporal worker's native core is happiest in child processes, not worker threads
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
