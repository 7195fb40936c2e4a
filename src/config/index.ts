/**
 * The only module that reads the environment. Each loader parses the variables its runtime reads (./env.ts),
 * reports every problem at once, and maps them onto the nested config (./types.ts); nothing runs on import.
 */
import * as v from 'valibot';
import { API_ENV, OPS_ENV, WORKER_ENV } from './env';
import type { ApiConfig, OpsConfig, TemporalConfig, VesperConfig, WorkerConfig } from './types';

export * from './types';
export {
  DEFAULT_MAX_STARTS_IN_FLIGHT,
  ENV_VARIABLES,
  MAX_BODY_LIMIT_BYTES,
  NAMESPACE_RETENTION_SECONDS,
  RUNTIME_VARIABLES,
  VESPER_DOCUMENTED_API_URL,
} from './env';

/**
 * A watchdog continues as new past this many history events: about a day of a long outage's status checks at the
 * default intervals, well under Temporal's 10,240-event warning.
 */
export const SESSION_WATCHDOG_HISTORY_LIMIT = 2000;

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The secret `npm start` gives the receiver when WEBHOOK_SECRET is unset; the test-event sender uses it too. */
export const DEV_WEBHOOK_SECRET = 'dev-secret-change-me';

/** Parses `env` with a schema of variables (here, and the bench and chaos settings): every problem at once. */
export function parseEnv<S extends v.GenericSchema>(schema: S, env: Env): v.InferOutput<S> {
  const result = v.safeParse(schema, env, { abortEarly: false });
  if (!result.success) throw new ConfigError(result.issues.map(describe));
  return result.output;
}

/** `NAME message`: a variable's own problems and the rules forwarded to it carry its name as their path. */
function describe(issue: v.BaseIssue<unknown>): string {
  const name = issue.path?.[0]?.key;
  return typeof name === 'string' ? `${name} ${issue.message}` : issue.message;
}

type TemporalEnv = Pick<
  v.InferOutput<typeof API_ENV>,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'
>;

function temporal(env: TemporalEnv): TemporalConfig {
  return {
    address: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
  };
}

type VesperEnv = Pick<
  v.InferOutput<typeof WORKER_ENV>,
  'VESPER_API_URL' | 'VESPER_API_KEY' | 'VESPER_TIMEOUT_MS'
>;

function vesper(env: VesperEnv): VesperConfig {
  return { apiUrl: env.VESPER_API_URL, apiKey: env.VESPER_API_KEY, timeoutMs: env.VESPER_TIMEOUT_MS };
}

export function loadApiConfig(env: Env): ApiConfig {
  const e = parseEnv(API_ENV, env);
  return {
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    webhookPath: e.WEBHOOK_PATH,
    webhookSecrets: e.WEBHOOK_SECRET_FILE ?? e.WEBHOOK_SECRET ?? [],
    bodyLimitBytes: e.WEBHOOK_BODY_LIMIT_BYTES,
    admin: { host: e.ADMIN_HOST, port: e.ADMIN_PORT },
    rejectedRetentionSeconds: e.REJECTED_RETENTION_SECONDS,
    startTimeoutMs: e.TEMPORAL_START_TIMEOUT_MS,
    maxStartsInFlight: e.MAX_STARTS_IN_FLIGHT,
    embeddedWorker: e.EMBEDDED_WORKER === 'true',
    eventWindow: {
      maxAgeSeconds: e.EVENT_MAX_AGE_SECONDS,
      maxFutureSkewSeconds: e.EVENT_MAX_FUTURE_SKEW_SECONDS,
    },
    temporal: temporal(e),
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEPALIVE_TIMEOUT_MS,
      maxHeaderBytes: 16 * 1024,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    logLevel: e.LOG_LEVEL,
  };
}

export function loadWorkerConfig(env: Env): WorkerConfig {
  const e = parseEnv(WORKER_ENV, env);
  return {
    redisUrl: e.REDIS_URL,
    temporal: temporal(e),
    vesper: vesper(e),
    autoReply: {
      text: e.AUTO_REPLY_TEXT,
      cooldownSeconds: e.AUTO_REPLY_COOLDOWN_SECONDS,
      maxAgeSeconds: e.AUTO_REPLY_MAX_AGE_SECONDS,
      ownNumbers: e.OWN_NUMBERS,
    },
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    metrics: { host: e.WORKER_METRICS_HOST, port: e.WORKER_METRICS_PORT },
    sdkMetricsPort: e.WORKER_SDK_METRICS_PORT,
    trends: {
      checkIntervalSeconds: e.TREND_CHECK_INTERVAL_SECONDS,
      windowSeconds: e.TREND_WINDOW_SECONDS,
      errorRateThreshold: e.ERROR_RATE_THRESHOLD,
      errorRateMinAttempts: e.ERROR_RATE_MIN_ATTEMPTS,
      deadLettersOpenThreshold: e.DEAD_LETTERS_OPEN_THRESHOLD,
    },
    deadLetterAlerts: {
      windowSeconds: e.DEAD_LETTER_ALERT_WINDOW_SECONDS,
      updateSeconds: e.DEAD_LETTER_ALERT_UPDATE_SECONDS,
    },
    sessionWatchdog: {
      graceSeconds: e.SESSION_GRACE_SECONDS,
      escalateAfterSeconds: e.SESSION_ESCALATE_AFTER_SECONDS,
      reminderSeconds: e.SESSION_REMINDER_SECONDS,
      restartIntervalSeconds: e.SESSION_RESTART_INTERVAL_SECONDS,
      restartMaxIntervalSeconds: e.SESSION_RESTART_MAX_INTERVAL_SECONDS,
      restartMaxAttempts: e.SESSION_RESTART_MAX_ATTEMPTS,
      statusCheckDelaySeconds: e.SESSION_STATUS_CHECK_DELAY_SECONDS,
      flapDisconnects: e.SESSION_FLAP_DISCONNECTS,
      flapWindowSeconds: e.SESSION_FLAP_WINDOW_SECONDS,
      historyLimit: SESSION_WATCHDOG_HISTORY_LIMIT,
    },
    retention: { dataSeconds: e.DATA_RETENTION_SECONDS },
    logLevel: e.LOG_LEVEL,
  };
}

/** The operator tools (dlq, send-test-event, register-webhook, replay); nothing here is required. */
export function loadOpsConfig(env: Env): OpsConfig {
  const e = parseEnv(OPS_ENV, env);
  return {
    temporal: temporal(e),
    redisUrl: e.REDIS_URL,
    webhookUrl: `http://localhost:${e.PORT}${e.WEBHOOK_PATH}`,
    webhookSecrets: e.WEBHOOK_SECRET_FILE ?? e.WEBHOOK_SECRET ?? [DEV_WEBHOOK_SECRET],
    vesper: vesper(e),
    webhookSettingsPath: e.VESPER_WEBHOOK_SETTINGS_PATH,
    retention: { dataSeconds: e.DATA_RETENTION_SECONDS },
    rejectedRetentionSeconds: e.REJECTED_RETENTION_SECONDS,
  };
}
