import { defineConfig } from 'vitest/config';

// `npm run record-histories`: runs the scenarios in test/record on the real stack and writes their histories
// to test/fixtures/histories/ for the replay test. Not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/record/**/*.record.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
