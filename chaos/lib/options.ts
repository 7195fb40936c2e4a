/** What a chaos run does, from CHAOS_* variables; every problem is reported at once. */
import { randomInt } from 'node:crypto';
import * as v from 'valibot';
import { parseEnv, type Env } from '../../src/config';
import { integer, oneOf } from '../../src/config/fields';

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
  /** The production topology's faults (target `cluster`): SIGKILL a receiver, SIGKILL the history role, and a
   * PostgreSQL restart. */
  receiverKills: number;
  historyKills: number;
  postgresRestarts: number;
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
  /** `dev`: one receiver and one worker on a dev server; `cluster`: `npm run cluster`'s topology (dist/ only). */
  target: 'dev' | 'cluster';
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
  receiverKills: 0,
  historyKills: 0,
  postgresRestarts: 0,
  vesperOutages: 1,
  vesperOutageSeconds: 60,
  restartDelaySeconds: 2,
  redisAppendfsync: 'everysec',
  drainTimeoutSeconds: 600,
  senderGiveUpSeconds: 300,
  entry: 'dist',
  target: 'dev',
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

/**
 * `CHAOS_TARGET=cluster` (npm run chaos:cluster): the production topology, broken the ways it can break that the
 * dev server cannot — a worker, a receiver behind nginx and the history role SIGKILLed, PostgreSQL restarted.
 */
export const CLUSTER_PROFILE: Partial<ChaosOptions> = {
  target: 'cluster',
  workerKills: 1,
  receiverKills: 1,
  historyKills: 1,
  postgresRestarts: 1,
  temporalRestarts: 0,
  redisRestarts: 0,
  vesperOutages: 0,
};

export function randomSeed(): number {
  return randomInt(1, 2 ** 31 - 1);
}

/** CHAOS_* through the product's own env schema builders; the profile sets the defaults the others override. */
export function chaosOptionsFromEnv(env: Env): ChaosOptions {
  const outages = env.CHAOS_PROFILE?.trim() === 'outages';
  const cluster = env.CHAOS_TARGET?.trim() === 'cluster';
  const d = {
    ...DEFAULT_CHAOS_OPTIONS,
    ...(outages ? OUTAGES_PROFILE : {}),
    ...(cluster ? CLUSTER_PROFILE : {}),
  };
  const e = parseEnv(
    v.object({
      CHAOS_PROFILE: oneOf(['outages', 'default'], 'default'),
      CHAOS_TARGET: oneOf(['dev', 'cluster'] as const, d.target),
      CHAOS_EVENTS: integer(d.events, 10, 100_000),
      CHAOS_SEED: integer(randomSeed(), 1, 2 ** 31 - 1),
      CHAOS_RATE: integer(d.ratePerSecond, 1, 1000),
      CHAOS_CONCURRENCY: integer(d.concurrency, 1, 1000),
      CHAOS_WORKER_KILLS: integer(d.workerKills, 0, 20),
      CHAOS_TEMPORAL_RESTARTS: integer(d.temporalRestarts, 0, 5),
      CHAOS_REDIS_RESTARTS: integer(d.redisRestarts, 0, 5),
      CHAOS_REDIS_OUTAGES: integer(d.redisOutages, 0, 5),
      CHAOS_REDIS_OUTAGE_SECONDS: integer(d.redisOutageSeconds, 1, 7200),
      CHAOS_RECEIVER_KILLS: integer(d.receiverKills, 0, 20),
      CHAOS_HISTORY_KILLS: integer(d.historyKills, 0, 20),
      CHAOS_POSTGRES_RESTARTS: integer(d.postgresRestarts, 0, 5),
      CHAOS_VESPER_OUTAGES: integer(d.vesperOutages, 0, 5),
      // at most 50 min: the stack runs the product's AUTO_REPLY_MAX_AGE_SECONDS (1 h), past which replies are given up
      CHAOS_VESPER_OUTAGE_SECONDS: integer(d.vesperOutageSeconds, 1, 3000),
      CHAOS_RESTART_DELAY_SECONDS: integer(d.restartDelaySeconds, 0, 120),
      CHAOS_REDIS_APPENDFSYNC: oneOf(['always', 'everysec'] as const, d.redisAppendfsync),
      CHAOS_DRAIN_TIMEOUT_SECONDS: integer(d.drainTimeoutSeconds, 10, 7200),
      CHAOS_SENDER_GIVE_UP_SECONDS: integer(d.senderGiveUpSeconds, 5, 3600),
    }),
    env,
  );
  return {
    events: e.CHAOS_EVENTS,
    seed: e.CHAOS_SEED,
    ratePerSecond: e.CHAOS_RATE,
    concurrency: e.CHAOS_CONCURRENCY,
    workerKills: e.CHAOS_WORKER_KILLS,
    temporalRestarts: e.CHAOS_TEMPORAL_RESTARTS,
    redisRestarts: e.CHAOS_REDIS_RESTARTS,
    redisOutages: e.CHAOS_REDIS_OUTAGES,
    redisOutageSeconds: e.CHAOS_REDIS_OUTAGE_SECONDS,
    receiverKills: e.CHAOS_RECEIVER_KILLS,
    historyKills: e.CHAOS_HISTORY_KILLS,
    postgresRestarts: e.CHAOS_POSTGRES_RESTARTS,
    vesperOutages: e.CHAOS_VESPER_OUTAGES,
    vesperOutageSeconds: e.CHAOS_VESPER_OUTAGE_SECONDS,
    restartDelaySeconds: e.CHAOS_RESTART_DELAY_SECONDS,
    redisAppendfsync: e.CHAOS_REDIS_APPENDFSYNC,
    drainTimeoutSeconds: e.CHAOS_DRAIN_TIMEOUT_SECONDS,
    senderGiveUpSeconds: e.CHAOS_SENDER_GIVE_UP_SECONDS,
    entry: 'dist',
    target: e.CHAOS_TARGET,
  };
}
