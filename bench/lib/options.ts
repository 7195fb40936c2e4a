/** What a benchmark run measures, from BENCH_* variables: parsed once, every problem reported at once. */
import * as v from 'valibot';
import { parseEnv, type Env } from '../../src/config';
import { field, integer, optionalText, text } from '../../src/config/fields';

/** The systems, by the key BENCH_SYSTEMS names them with, in the order they are measured. */
export const SYSTEM_KEYS = [
  'ceiling',
  'seed',
  'floor',
  'ours-ack',
  'ours',
  'ours-embedded',
  'cluster',
  'cluster-1w',
  'cluster-1r',
] as const;
export type SystemKey = (typeof SYSTEM_KEYS)[number];
/**
 * The receiver alone (ours-ack) runs only when named: the floor now marks what a bare start costs. So do the
 * cluster's smaller shapes (one worker, one receiver), which compare with `cluster`.
 */
const DEFAULT_SYSTEMS: SystemKey[] = ['ceiling', 'seed', 'floor', 'ours', 'ours-embedded', 'cluster'];

/**
 * An open-loop rate: events per second, or `<n>x`, a multiple of the system's own closed-loop end-to-end
 * throughput (of its ack throughput when it has no effects), so each system is loaded past what it sustains.
 */
export type OpenRate = number | `${number}x`;

/** The webhook secret every system verifies against (loopback only). */
export const BENCH_SECRET = 'bench-secret';
/** Bound on waiting for one load's effects. */
export const EFFECTS_TIMEOUT_MS = 180_000;

export interface BenchOptions {
  /** Events of the closed loop. */
  events: number;
  /** Senders of the closed loop. */
  concurrency: number;
  /** Open-loop steps: by default twice what each system sustains, sent by a sender that retries like Vesper. */
  openRates: OpenRate[];
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
      BENCH_RATES: field<OpenRate[]>(
        ['2x'],
        (value) => value.split(',').every((rate) => parseRate(rate) !== undefined),
        (value) =>
          `must be rates in events per second or multiples of the closed loop's (\`2x\`), comma-separated (got "${value}")`,
        (value) => value.split(',').map((rate) => parseRate(rate) as OpenRate),
      ),
      BENCH_OPEN_SECONDS: integer(5, 1, 3600),
      BENCH_SYSTEMS: field(
        DEFAULT_SYSTEMS,
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

/** `200` (events per second) or `2x`/`1.5x` (a multiple); undefined for anything else, zero included. */
function parseRate(text: string): OpenRate | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)(x?)\s*$/.exec(text);
  if (!match || !(Number(match[1]) > 0)) return undefined;
  return match[2] ? `${Number(match[1])}x` : Number(match[1]);
}

/** The rate an open-loop step sends at, given what the system sustained in the closed loop. */
export function resolveRate(rate: OpenRate, sustainedPerSecond: number): number {
  if (typeof rate === 'number') return rate;
  return Math.max(1, Math.round(parseFloat(rate) * sustainedPerSecond));
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
