/**
 * The only module that reads the environment. Each loader validates every variable it owns and reports every
 * problem at once; nothing runs on import.
 */
import { DEFAULT_TASK_QUEUE, TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../workflows/contracts';
import type { EventWindow } from '../api/event-window';
import { Reader, type Env } from './reader';

export { ConfigError } from './reader';

/** The secret `npm start` gives the receiver when WEBHOOK_SECRET is unset; the test-event sender uses it too. */
export const DEV_WEBHOOK_SECRET = 'dev-secret-change-me';

/** Vesper's documentation: "Base URL: https://api.vespergateway.com/api/v1 — every endpoint is prefixed with /api/v1". */
export const VESPER_DOCUMENTED_API_URL = 'https://api.vespergateway.com/api/v1';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** What bounds one client's hold on the receiver's HTTP server (see src/api/http-server.ts). */
export interface HttpServerConfig {
  /** A request whose headers are not all in by then gets 408 and its socket closed (slowloris). */
  headersTimeoutMs: number;
  /** The same for the whole request, body included. */
  requestTimeoutMs: number;
  /** An idle keep-alive socket is closed after this; above a load balancer's usual 60 s idle timeout. */
  keepAliveTimeoutMs: number;
  /** Larger request headers get 431. */
  maxHeaderBytes: number;
  /** Connections beyond this many open ones are closed on arrival. */
  maxConnections: number;
}

/** A listener for operators only: the receiver's /metrics and /readyz, the worker's /metrics. */
export interface AdminListenerConfig {
  /** Loopback by default: metrics and readiness are not for the internet. 0.0.0.0 inside a container. */
  host: string;
  /** 0 turns it off. */
  port: number;
}

/** How long Redis keeps what the product writes (see README, Retention). */
export interface RetentionConfig {
  /**
   * Messages, their status histories, session states, recorded events, and closed dead letters: personal data
   * kept only this long after its last write.
   */
  dataSeconds: number;
}

/** How dead-letter alerts are grouped (see src/workflows/dead-letter-alerts.ts). */
export interface DeadLetterAlertConfig {
  /** A group closes (one last alert) once no dead letter has joined it for this long. */
  windowSeconds: number;
  /** Later dead letters are summed up in at most one alert per this interval. */
  updateSeconds: number;
}

export interface ApiConfig {
  host: string;
  /** Where signed but unusable events are kept. */
  redisUrl: string;
  port: number;
  webhookPath: string;
  /** Any one of these verifies a signature (rotation). Never logged. */
  webhookSecrets: string[];
  /** At most MAX_BODY_LIMIT_BYTES: below Temporal's payload limit, with room for the workflow input's envelope. */
  bodyLimitBytes: number;
  /** /metrics and /readyz. */
  admin: AdminListenerConfig;
  /** Rejected (signed but unusable) bodies are kept this long: they can hold personal data. */
  rejectedRetentionSeconds: number;
  /** Upper bound on the durable hand-off; past it the sender gets a 503 and retries. */
  startTimeoutMs: number;
  /** Events whose own timestamp is outside it are kept, not started (see src/api/event-window.ts). */
  eventWindow: EventWindow;
  temporal: TemporalConfig;
  http: HttpServerConfig;
  logLevel: LogLevel;
}

export interface VesperConfig {
  /** Base URL of Vesper's API; its documentation: https://api.vespergateway.com/api/v1 */
  apiUrl: string;
  /** Sent as `x-api-key`. Never logged. */
  apiKey: string;
  /** Per HTTP attempt; the activity's retry policy decides what happens after. */
  timeoutMs: number;
}

export interface AutoReplyConfig {
  /** Unset: auto-replies are off. */
  text: string | undefined;
  cooldownSeconds: number;
  /**
   * A reply to a message older than this (the event's envelope time) is pointless: the send fails for good
   * (ReplyExpired, a dead letter) instead of waiting out a longer Vesper outage.
   */
  maxAgeSeconds: number;
  /** Our own numbers (digits): messages from them are never answered. */
  ownNumbers: string[];
}

export interface TrendAlertConfig {
  /** How often the worker checks the trends. */
  checkIntervalSeconds: number;
  /** The window the activity error rate is computed over. */
  windowSeconds: number;
  /** Alert when failed activity attempts / all attempts in the window reach this (0–1)… */
  errorRateThreshold: number;
  /** …over at least this many attempts (no alert on three failures out of four). */
  errorRateMinAttempts: number;
  /** Alert when this many dead letters are open. */
  deadLettersOpenThreshold: number;
}

export interface WorkerConfig {
  redisUrl: string;
  temporal: TemporalConfig;
  vesper: VesperConfig;
  autoReply: AutoReplyConfig;
  /** Slack-compatible incoming webhook; unset: alerts are error-level log lines. */
  alertWebhookUrl: string | undefined;
  /** The worker's /metrics (ours plus the Temporal SDK's); port 0 turns it off. */
  metrics: AdminListenerConfig;
  /** Loopback port the SDK's own Prometheus exporter binds; /metrics merges it in. */
  sdkMetricsPort: number;
  trends: TrendAlertConfig;
  deadLetterAlerts: DeadLetterAlertConfig;
  retention: RetentionConfig;
  logLevel: LogLevel;
}

export interface OpsConfig {
  temporal: TemporalConfig;
  redisUrl: string;
  /** Where the test-event sender posts by default. */
  webhookUrl: string;
  /** The first one signs test events. */
  webhookSecrets: string[];
  vesper: VesperConfig;
  /**
   * Where `register-webhook` PUTs the webhook URL, under the API base. Vesper's guide shows `/v1/apps/settings`,
   * outside its documented `/api/v1` prefix; the API docs do not list it, so it is configurable.
   */
  webhookSettingsPath: string;
  retention: RetentionConfig;
  rejectedRetentionSeconds: number;
}

function redisUrl(read: Reader): string {
  const url = read.string('REDIS_URL', 'redis://127.0.0.1:6390');
  if (!/^rediss?:\/\//.test(url)) read.problems.push('REDIS_URL must start with redis:// or rediss://');
  return url;
}

function vesperConfig(read: Reader): VesperConfig {
  return {
    apiUrl:
      read
        .url('VESPER_API_URL', read.string('VESPER_API_URL', VESPER_DOCUMENTED_API_URL))
        ?.replace(/\/+$/, '') ?? '',
    apiKey: asciiHeaderValue(read, 'VESPER_API_KEY'),
    // an attempt must fit in the send activity's 30 s start-to-close timeout (src/workflows/retry-policies.ts)
    timeoutMs: read.integer('VESPER_TIMEOUT_MS', 10_000, 100, 25_000),
  };
}

/** A header value fetch can send: printable ASCII, or it throws before the request leaves. */
function asciiHeaderValue(read: Reader, name: string): string {
  const value = read.optional(name) ?? '';
  if (!/^[\x21-\x7e]*$/.test(value)) read.problems.push(`${name} must be printable ASCII without spaces`);
  return value;
}

function temporalConfig(read: Reader): TemporalConfig {
  return {
    address: read.string('TEMPORAL_ADDRESS', 'localhost:7233'),
    namespace: read.string('TEMPORAL_NAMESPACE', 'default'),
    taskQueue: read.string('TEMPORAL_TASK_QUEUE', DEFAULT_TASK_QUEUE),
  };
}

function httpServerConfig(read: Reader): HttpServerConfig {
  const headersTimeoutMs = read.integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = read.integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  // node refuses a header timeout longer than the request timeout
  if (headersTimeoutMs > requestTimeoutMs)
    read.problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: read.integer('HTTP_KEEPALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000),
    maxHeaderBytes: 16 * 1024,
    // a flood of idle sockets must not take every file descriptor; above what two cores can serve at once
    maxConnections: read.integer('HTTP_MAX_CONNECTIONS', 1024, 1, 1_000_000),
  };
}

/**
 * Temporal refuses a payload over 2 MiB (the server's `limit.blobSize.error` default); the workflow input is the
 * parsed event plus its key and time, so the body limit keeps 512 KiB of room (see also the receiver's check of
 * the encoded input, src/api/webhook.ts).
 */
export const MAX_BODY_LIMIT_BYTES = TEMPORAL_PAYLOAD_LIMIT_BYTES - 512 * 1024;

const DAY = 86_400;

function retention(read: Reader): RetentionConfig {
  return { dataSeconds: read.integer('DATA_RETENTION_SECONDS', 30 * DAY, 60, 3650 * DAY) };
}

function rejectedRetention(read: Reader): number {
  return read.integer('REJECTED_RETENTION_SECONDS', 7 * DAY, 60, 3650 * DAY);
}

function adminListener(read: Reader, prefix: string, port: number): AdminListenerConfig {
  return {
    host: read.string(`${prefix}_HOST`, '127.0.0.1'),
    port: read.integer(`${prefix}_PORT`, port, 0, 65535),
  };
}

/** The namespace retention the dev stack and the compose setup job set: how long Temporal remembers an event key. */
export const NAMESPACE_RETENTION_SECONDS = 7 * 86_400;

/**
 * Age + skew must stay below retention: an event accepted at the latest moment its stamp allows must still find
 * its first run remembered (see src/api/event-window.ts).
 */
function eventWindow(read: Reader): EventWindow {
  const maxAgeSeconds = read.integer('EVENT_MAX_AGE_SECONDS', 6 * 86_400, 60, NAMESPACE_RETENTION_SECONDS);
  const maxFutureSkewSeconds = read.integer('EVENT_MAX_FUTURE_SKEW_SECONDS', 3600, 0, 86_400);
  if (maxAgeSeconds + maxFutureSkewSeconds >= NAMESPACE_RETENTION_SECONDS)
    read.problems.push(
      `EVENT_MAX_AGE_SECONDS + EVENT_MAX_FUTURE_SKEW_SECONDS must stay below the namespace retention (${NAMESPACE_RETENTION_SECONDS} s)`,
    );
  return { maxAgeSeconds, maxFutureSkewSeconds };
}

export function loadApiConfig(env: Env): ApiConfig {
  const read = new Reader(env);
  const webhookPath = read.string('WEBHOOK_PATH', '/webhooks/whatsapp');
  if (!webhookPath.startsWith('/'))
    read.problems.push(`WEBHOOK_PATH must start with "/" (got "${webhookPath}")`);
  return read.done({
    host: read.string('HOST', '0.0.0.0'),
    redisUrl: redisUrl(read),
    port: read.integer('PORT', 3000, 0, 65535),
    webhookPath,
    webhookSecrets: read.secrets('WEBHOOK_SECRET'),
    bodyLimitBytes: read.integer('WEBHOOK_BODY_LIMIT_BYTES', 1024 * 1024, 1, MAX_BODY_LIMIT_BYTES),
    admin: adminListener(read, 'ADMIN', 9462),
    rejectedRetentionSeconds: rejectedRetention(read),
    startTimeoutMs: read.integer('TEMPORAL_START_TIMEOUT_MS', 5000, 100, 60_000),
    eventWindow: eventWindow(read),
    temporal: temporalConfig(read),
    http: httpServerConfig(read),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  });
}

export function loadWorkerConfig(env: Env): WorkerConfig {
  const read = new Reader(env);
  const autoReplyText = read.optional('AUTO_REPLY_TEXT');
  if (autoReplyText && !read.optional('VESPER_API_KEY')) {
    read.problems.push('VESPER_API_KEY must be set when AUTO_REPLY_TEXT is');
  }
  return read.done({
    redisUrl: redisUrl(read),
    temporal: temporalConfig(read),
    vesper: vesperConfig(read),
    autoReply: {
      text: autoReplyText,
      cooldownSeconds: read.integer('AUTO_REPLY_COOLDOWN_SECONDS', 86_400, 0, 365 * 86_400),
      maxAgeSeconds: read.integer('AUTO_REPLY_MAX_AGE_SECONDS', 3600, 1, 7 * DAY),
      ownNumbers: (read.optional('OWN_NUMBERS') ?? '')
        .split(',')
        .map((n) => n.replace(/\D/g, ''))
        .filter(Boolean),
    },
    alertWebhookUrl: read.url('ALERT_WEBHOOK_URL', read.optional('ALERT_WEBHOOK_URL')),
    metrics: adminListener(read, 'WORKER_METRICS', 9464),
    sdkMetricsPort: read.integer('WORKER_SDK_METRICS_PORT', 9465, 1, 65535),
    trends: {
      checkIntervalSeconds: read.integer('TREND_CHECK_INTERVAL_SECONDS', 30, 1, 3600),
      windowSeconds: read.integer('TREND_WINDOW_SECONDS', 300, 10, 86_400),
      errorRateThreshold: read.fraction('ERROR_RATE_THRESHOLD', 0.2),
      errorRateMinAttempts: read.integer('ERROR_RATE_MIN_ATTEMPTS', 20, 1, 1_000_000),
      deadLettersOpenThreshold: read.integer('DEAD_LETTERS_OPEN_THRESHOLD', 10, 1, 1_000_000),
    },
    deadLetterAlerts: {
      windowSeconds: read.integer('DEAD_LETTER_ALERT_WINDOW_SECONDS', 600, 1, DAY),
      updateSeconds: read.integer('DEAD_LETTER_ALERT_UPDATE_SECONDS', 900, 1, DAY),
    },
    retention: retention(read),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  });
}

function settingsPath(read: Reader): string {
  const path = read.string('VESPER_WEBHOOK_SETTINGS_PATH', '/apps/settings');
  if (!path.startsWith('/')) read.problems.push('VESPER_WEBHOOK_SETTINGS_PATH must start with "/"');
  return path;
}

/** The operator tools (dlq, send-test-event, register-webhook, replay); nothing here is required. */
export function loadOpsConfig(env: Env): OpsConfig {
  const read = new Reader(env);
  const port = read.integer('PORT', 3000, 1, 65535);
  const path = read.string('WEBHOOK_PATH', '/webhooks/whatsapp');
  const secrets =
    read.optional('WEBHOOK_SECRET') || read.optional('WEBHOOK_SECRET_FILE')
      ? read.secrets('WEBHOOK_SECRET')
      : [DEV_WEBHOOK_SECRET];
  return read.done({
    temporal: temporalConfig(read),
    redisUrl: redisUrl(read),
    webhookUrl: `http://localhost:${port}${path}`,
    webhookSecrets: secrets,
    vesper: vesperConfig(read),
    webhookSettingsPath: settingsPath(read),
    retention: retention(read),
    rejectedRetentionSeconds: rejectedRetention(read),
  });
}
