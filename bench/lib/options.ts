/** What a benchmark run measures, from BENCH_* variables: parsed once, every problem reported at once. */
import * as v from 'valibot';
import { parseEnv, type Env } from '../../src/config';
import { field, integer, optionalText, text } from '../../src/config/fields';

/** The systems, by the key BENCH_SYSTEMS names them with. */
export const SYSTEM_KEYS = ['ceiling', 'seed', 'ours-ack', 'ours'] as const;
export type SystemKey = (typeof SYSTEM_KEYS)[number];

/** The webhook secret every system verifies against (loopback only). */
export const BENCH_SECRET = 'bench-secret';
/** Bound on waiting for one load's effects. */
export const EFFECTS_TIMEOUT_MS = 180_000;

export interface BenchOptions {
  /** Events of the closed loop. */
  events: number;
  /** Senders of the closed loop. */
  concurrency: number;
  /** Open-loop steps, events per second: one below what ours sustains on 2 cores, and the 200. */
  openRates: number[];
  /** How long each open-loop step sends. */
  openSeconds: number;
  /** Which systems to run, in SYSTEM_KEYS order. */
  systems: SystemKey[];
  /** Dev server SQLite settings to try, e.g. `journal_mode=wal,synchronous=normal`; `memory` runs without a file. */
  sqlite: string;
  /** Extra dev server dynamic config to try, e.g. `{"system.enableActivityEagerExecution":false}`. */
  serverDynamicConfig: Record<string, string | number | boolean>;
  /** Extra dev server environment to try, e.g. `{"GOGC":"100"}`. */
  serverEnv: Record<string, string>;
  /** Write V8 CPU profiles of our api and worker processes here (open them in Chrome DevTools). */
  profileDir?: string;
}

/** BENCH_* through the product's own env schema builders: bad values stop the run, each one named. */
export function benchOptionsFromEnv(env: Env): BenchOptions {
  const e = parseEnv(
    v.object({
      BENCH_EVENTS: integer(1000, 1, 1_000_000),
      BENCH_CONCURRENCY: integer(32, 1, 10_000),
      BENCH_RATES: field(
        [10, 200],
        (value) => /^\d+(,\d+)*$/.test(value) && value.split(',').every((rate) => Number(rate) > 0),
        (value) => `must be rates in events per second, comma-separated (got "${value}")`,
        (value) => value.split(',').map(Number),
      ),
      BENCH_OPEN_SECONDS: integer(5, 1, 3600),
      BENCH_SYSTEMS: field(
        [...SYSTEM_KEYS],
        (value) => value.split(',').every((key) => (SYSTEM_KEYS as readonly string[]).includes(key.trim())),
        (value) => `names systems among ${SYSTEM_KEYS.join(', ')} (got "${value}")`,
        (value) => SYSTEM_KEYS.filter((key) => value.split(',').some((named) => named.trim() === key)),
      ),
      BENCH_SQLITE: text(''),
      BENCH_SERVER_DYNAMIC_CONFIG: jsonObject<BenchOptions['serverDynamicConfig']>(),
      BENCH_SERVER_ENV: jsonObject<BenchOptions['serverEnv']>(),
      BENCH_PROFILE_DIR: optionalText,
    }),
    env,
  );
  return {
    events: e.BENCH_EVENTS,
    concurrency: e.BENCH_CONCURRENCY,
    openRates: e.BENCH_RATES,
    openSeconds: e.BENCH_OPEN_SECONDS,
    systems: e.BENCH_SYSTEMS,
    sqlite: e.BENCH_SQLITE,
    serverDynamicConfig: e.BENCH_SERVER_DYNAMIC_CONFIG,
    serverEnv: e.BENCH_SERVER_ENV,
    profileDir: e.BENCH_PROFILE_DIR,
  };
}

function jsonObject<T extends object>() {
  const parsed = (value: string): unknown => {
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  };
  return field<T>(
    {} as T,
    (value) => {
      const object = parsed(value);
      return typeof object === 'object' && object !== null && !Array.isArray(object);
    },
    (value) => `must be a JSON object (got "${value}")`,
    (value) => parsed(value) as T,
  );
}
