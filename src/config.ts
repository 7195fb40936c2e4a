/**
 * The only module that reads the environment. Each loader validates every variable it owns and reports every
 * problem at once; nothing runs on import.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_TASK_QUEUE } from './workflows/contracts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

export interface ApiConfig {
  host: string;
  /** Where signed but unusable events are kept. */
  redisUrl: string;
  port: number;
  webhookPath: string;
  /** Any one of these verifies a signature (rotation). Never logged. */
  webhookSecrets: string[];
  bodyLimitBytes: number;
  /** Upper bound on the durable hand-off; past it the sender gets a 503 and retries. */
  startTimeoutMs: number;
  temporal: TemporalConfig;
  logLevel: LogLevel;
}

export interface VesperConfig {
  /** Base URL of Vesper's API, e.g. https://api.vespergateway.com/v1 */
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
  /** Our own numbers (digits): messages from them are never answered. */
  ownNumbers: string[];
}

export interface WorkerConfig {
  redisUrl: string;
  temporal: TemporalConfig;
  vesper: VesperConfig;
  autoReply: AutoReplyConfig;
  /** Slack-compatible incoming webhook; unset: alerts are error-level log lines. */
  alertWebhookUrl: string | undefined;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name]?.trim();
    return value ? value : fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  url(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be an http(s) URL`);
    return undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  /** WEBHOOK_SECRET (comma-separated) or WEBHOOK_SECRET_FILE; the values never appear in a message. */
  secrets(name: string): string[] {
    const file = this.env[`${name}_FILE`]?.trim();
    let raw = this.env[name];
    if (file) {
      try {
        raw = readFileSync(file, 'utf8');
      } catch (err) {
        this.problems.push(
          `${name}_FILE could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
        return [];
      }
    }
    const secrets = (raw ?? '')
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.length === 0) this.problems.push(`${name} (or ${name}_FILE) must hold at least one secret`);
    return secrets;
  }

  done<T>(config: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return config;
  }
}

function redisUrl(read: Reader): string {
  const url = read.string('REDIS_URL', 'redis://127.0.0.1:6390');
  if (!/^rediss?:\/\//.test(url)) read.problems.push('REDIS_URL must start with redis:// or rediss://');
  return url;
}

function temporalConfig(read: Reader): TemporalConfig {
  return {
    address: read.string('TEMPORAL_ADDRESS', 'localhost:7233'),
    namespace: read.string('TEMPORAL_NAMESPACE', 'default'),
    taskQueue: read.string('TEMPORAL_TASK_QUEUE', DEFAULT_TASK_QUEUE),
  };
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
    bodyLimitBytes: read.integer('WEBHOOK_BODY_LIMIT_BYTES', 1024 * 1024, 1, 64 * 1024 * 1024),
    startTimeoutMs: read.integer('TEMPORAL_START_TIMEOUT_MS', 5000, 100, 60_000),
    temporal: temporalConfig(read),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  });
}

export function loadWorkerConfig(env: Env): WorkerConfig {
  const read = new Reader(env);
  const autoReplyText = read.optional('AUTO_REPLY_TEXT');
  const apiKey = read.optional('VESPER_API_KEY') ?? '';
  if (autoReplyText && !apiKey) read.problems.push('VESPER_API_KEY must be set when AUTO_REPLY_TEXT is');
  return read.done({
    redisUrl: redisUrl(read),
    temporal: temporalConfig(read),
    vesper: {
      apiUrl:
        read.url('VESPER_API_URL', read.string('VESPER_API_URL', 'https://api.vespergateway.com/v1')) ?? '',
      apiKey,
      timeoutMs: read.integer('VESPER_TIMEOUT_MS', 10_000, 100, 120_000),
    },
    autoReply: {
      text: autoReplyText,
      cooldownSeconds: read.integer('AUTO_REPLY_COOLDOWN_SECONDS', 86_400, 0, 365 * 86_400),
      ownNumbers: (read.optional('OWN_NUMBERS') ?? '')
        .split(',')
        .map((n) => n.replace(/\D/g, ''))
        .filter(Boolean),
    },
    alertWebhookUrl: read.url('ALERT_WEBHOOK_URL', read.optional('ALERT_WEBHOOK_URL')),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  });
}
