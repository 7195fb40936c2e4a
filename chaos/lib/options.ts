/** What a chaos run does, from CHAOS_* variables; every problem is reported at once. */
import { randomInt } from 'node:crypto';

export interface ChaosOptions {
  /** Signed events to send, redeliveries included. */
  events: number;
  /** Seeds the fault plan and the sender's jitter; printed so a run can be repeated. */
  seed: number;
  /** New events per second (retries come on top). */
  ratePerSecond: number;
  /** Events in flight at most, retries and their back-off included. */
  concurrency: number;
  workerKills: number;
  temporalRestarts: number;
  redisRestarts: number;
  /** Redis stopped for `redisOutageSeconds` (longer than any retry bound of the old code). */
  redisOutages: number;
  redisOutageSeconds: number;
  vesperOutages: number;
  vesperOutageSeconds: number;
  /** How long a killed or stopped process stays down before it is started again. */
  restartDelaySeconds: number;
  redisAppendfsync: 'always' | 'everysec';
  /** Bound on waiting for every effect (and every workflow) once the load is over. */
  drainTimeoutSeconds: number;
  /** The sender gives an event up after this long (Vesper's own retries are bounded too). */
  senderGiveUpSeconds: number;
  /** Run the receiver and worker from dist/ (as in production; build first) or from src/ through tsx. */
  entry: 'dist' | 'src';
}

export const DEFAULT_CHAOS_OPTIONS: Omit<ChaosOptions, 'seed'> = {
  events: 5000,
  ratePerSecond: 15,
  concurrency: 48,
  workerKills: 3,
  temporalRestarts: 1,
  redisRestarts: 1,
  redisOutages: 0,
  redisOutageSeconds: 600,
  vesperOutages: 1,
  vesperOutageSeconds: 60,
  restartDelaySeconds: 2,
  redisAppendfsync: 'everysec',
  drainTimeoutSeconds: 600,
  senderGiveUpSeconds: 300,
  entry: 'dist',
};

/**
 * `CHAOS_PROFILE=outages` (npm run chaos:outages): long infrastructure outages instead of crashes — Redis down
 * 10 minutes, Vesper answering 500 for 30 — which must end with no dead letter and a handful of alerts per fault.
 */
export const OUTAGES_PROFILE: Partial<ChaosOptions> = {
  workerKills: 0,
  temporalRestarts: 0,
  redisRestarts: 0,
  redisOutages: 1,
  redisOutageSeconds: 600,
  vesperOutages: 1,
  vesperOutageSeconds: 1800,
  drainTimeoutSeconds: 1200,
};

export function randomSeed(): number {
  return randomInt(1, 2 ** 31 - 1);
}

export function chaosOptionsFromEnv(env: NodeJS.ProcessEnv): ChaosOptions {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const profile = env.CHAOS_PROFILE?.trim();
  if (profile && profile !== 'outages') problems.push(`CHAOS_PROFILE must be outages (got "${profile}")`);
  const d = { ...DEFAULT_CHAOS_OPTIONS, ...(profile === 'outages' ? OUTAGES_PROFILE : {}) };
  const appendfsync = env.CHAOS_REDIS_APPENDFSYNC?.trim() || d.redisAppendfsync;
  if (appendfsync !== 'always' && appendfsync !== 'everysec') {
    problems.push(`CHAOS_REDIS_APPENDFSYNC must be always or everysec (got "${appendfsync}")`);
  }
  const options: ChaosOptions = {
    events: int('CHAOS_EVENTS', d.events, 10, 100_000),
    seed: int('CHAOS_SEED', randomSeed(), 1, 2 ** 31 - 1),
    ratePerSecond: int('CHAOS_RATE', d.ratePerSecond, 1, 1000),
    concurrency: int('CHAOS_CONCURRENCY', d.concurrency, 1, 1000),
    workerKills: int('CHAOS_WORKER_KILLS', d.workerKills, 0, 20),
    temporalRestarts: int('CHAOS_TEMPORAL_RESTARTS', d.temporalRestarts, 0, 5),
    redisRestarts: int('CHAOS_REDIS_RESTARTS', d.redisRestarts, 0, 5),
    redisOutages: int('CHAOS_REDIS_OUTAGES', d.redisOutages, 0, 5),
    redisOutageSeconds: int('CHAOS_REDIS_OUTAGE_SECONDS', d.redisOutageSeconds, 1, 7200),
    vesperOutages: int('CHAOS_VESPER_OUTAGES', d.vesperOutages, 0, 5),
    // at most 50 min: the stack runs the product's AUTO_REPLY_MAX_AGE_SECONDS (1 h), past which replies are given up
    vesperOutageSeconds: int('CHAOS_VESPER_OUTAGE_SECONDS', d.vesperOutageSeconds, 1, 3000),
    restartDelaySeconds: int('CHAOS_RESTART_DELAY_SECONDS', d.restartDelaySeconds, 0, 120),
    redisAppendfsync: appendfsync === 'always' ? 'always' : 'everysec',
    drainTimeoutSeconds: int('CHAOS_DRAIN_TIMEOUT_SECONDS', d.drainTimeoutSeconds, 10, 7200),
    senderGiveUpSeconds: int('CHAOS_SENDER_GIVE_UP_SECONDS', d.senderGiveUpSeconds, 5, 3600),
    entry: 'dist',
  };
  // the stack runs the product's AUTO_REPLY_MAX_AGE_SECONDS (1 h): a longer outage would rightly expire replies
  if (options.vesperOutageSeconds > 3000)
    problems.push(
      'CHAOS_VESPER_OUTAGE_SECONDS must stay below 3000: replies older than an hour are given up',
    );
  if (problems.length > 0) throw new Error(`invalid chaos settings:\n  ${problems.join('\n  ')}`);
  return options;
}
