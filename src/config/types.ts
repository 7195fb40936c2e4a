/** The shapes the loaders return (./index.ts), nested per concern; what each runtime is handed. */
import type { EventWindow } from '../api/event-window';
import type { SessionWatchdogSettings } from '../workflows/contracts';

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
  /** Hand-offs in flight at most; a further event is refused at once (503 overloaded), not queued. */
  maxStartsInFlight: number;
  /**
   * The receiver process runs the processing worker too, on one connection: each start asks Temporal for eager
   * execution, so the event's first workflow task comes back in the start's answer (no matching, no poll).
   */
  embeddedWorker: boolean;
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

export type { SessionWatchdogSettings };

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
  /** Handed to each session watchdog when it starts (src/workflows/session-watchdog.ts). */
  sessionWatchdog: SessionWatchdogSettings;
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
