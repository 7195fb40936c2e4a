/** What a benchmark run measures, from BENCH_* variables: parsed once, every problem reported at once. */

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

export function benchOptionsFromEnv(env: NodeJS.ProcessEnv): BenchOptions {
  const problems: string[] = [];
  const positive = (name: string, raw: string | undefined, fallback: number): number => {
    const value = Number(raw?.trim() || fallback);
    if (Number.isFinite(value) && value > 0) return value;
    problems.push(`${name} must be a positive number (got "${raw}")`);
    return fallback;
  };
  const json = <T>(name: string, fallback: T): T => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    try {
      return JSON.parse(raw) as T;
    } catch {
      problems.push(`${name} must be a JSON object (got "${raw}")`);
      return fallback;
    }
  };
  const rates = env.BENCH_RATES ?? env.BENCH_RATE ?? '10,200';
  const named = env.BENCH_SYSTEMS?.split(',').map((s) => s.trim());
  for (const key of named ?? []) {
    if (!(SYSTEM_KEYS as readonly string[]).includes(key))
      problems.push(`BENCH_SYSTEMS names ${SYSTEM_KEYS.join(', ')} (got "${key}")`);
  }
  const options: BenchOptions = {
    events: positive('BENCH_EVENTS', env.BENCH_EVENTS, 1000),
    concurrency: positive('BENCH_CONCURRENCY', env.BENCH_CONCURRENCY, 32),
    openRates: rates.split(',').map((rate) => positive('BENCH_RATES', rate, 10)),
    openSeconds: positive('BENCH_OPEN_SECONDS', env.BENCH_OPEN_SECONDS, 5),
    systems: SYSTEM_KEYS.filter((key) => !named || named.includes(key)),
    sqlite: env.BENCH_SQLITE ?? '',
    serverDynamicConfig: json('BENCH_SERVER_DYNAMIC_CONFIG', {}),
    serverEnv: json('BENCH_SERVER_ENV', {}),
    profileDir: env.BENCH_PROFILE_DIR || undefined,
  };
  if (problems.length > 0) throw new Error(`invalid bench settings:\n  ${problems.join('\n  ')}`);
  return options;
}
