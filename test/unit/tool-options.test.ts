import { describe, expect, it } from 'vitest';
import { benchOptionsFromEnv } from '../../bench/lib/options';
import { chaosOptionsFromEnv, DEFAULT_CHAOS_OPTIONS, OUTAGES_PROFILE } from '../../chaos/lib/options';
import { ConfigError } from '../../src/config';

/** The bench and chaos settings go through the product's env schema builders (src/config/fields.ts). */
describe('bench and chaos settings', () => {
  it('take the outages profile as defaults, and variables over it', () => {
    const options = chaosOptionsFromEnv({ CHAOS_PROFILE: 'outages', CHAOS_SEED: '7', CHAOS_EVENTS: ' 300 ' });
    expect(options).toMatchObject({ ...DEFAULT_CHAOS_OPTIONS, ...OUTAGES_PROFILE, seed: 7, events: 300 });
  });

  it('report every bad chaos setting at once', () => {
    const bad = () =>
      chaosOptionsFromEnv({ CHAOS_PROFILE: 'loud', CHAOS_EVENTS: '5', CHAOS_VESPER_OUTAGE_SECONDS: '4000' });
    expect(bad).toThrow(ConfigError);
    expect(() => bad()).toThrow(/CHAOS_PROFILE[\s\S]*CHAOS_EVENTS[\s\S]*CHAOS_VESPER_OUTAGE_SECONDS/);
  });

  it('read the bench systems, rates and server settings, and refuse what they cannot use', () => {
    expect(
      benchOptionsFromEnv({
        BENCH_SYSTEMS: 'ours, seed',
        BENCH_RATES: '20,40',
        BENCH_SERVER_ENV: '{"GOGC":"50"}',
      }),
    ).toMatchObject({
      systems: ['seed', 'ours'],
      openRates: [20, 40],
      serverEnv: { GOGC: '50' },
      events: 1000,
    });
    let error: unknown;
    try {
      benchOptionsFromEnv({ BENCH_SYSTEMS: 'bullmq', BENCH_RATES: '0', BENCH_SERVER_ENV: '[1]' });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual([
      'BENCH_RATES',
      'BENCH_SYSTEMS',
      'BENCH_SERVER_ENV',
    ]);
  });
});
