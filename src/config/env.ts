/**
 * Every variable the product reads, per runtime: one schema each, with its default and bounds, then the rules
 * across variables. A rule is forwarded to the variable it blames (its message goes on from that name), and is
 * checked only once each of its variables is valid on its own.
 */
import * as v from 'valibot';
import { DEFAULT_TASK_QUEUE, TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../workflows/contracts';
import {
  field,
  fraction,
  httpUrl,
  integer,
  oneOf,
  optionalHttpUrl,
  optionalText,
  secretFile,
  secretList,
  text,
  urlPath,
} from './fields';
import { LOG_LEVELS } from './types';

/** Vesper's documentation: "Base URL: https://api.vespergateway.com/api/v1 — every endpoint is prefixed with /api/v1". */
export const VESPER_DOCUMENTED_API_URL = 'https://api.vespergateway.com/api/v1';

/**
 * Temporal refuses a payload over 2 MiB (the server's `limit.blobSize.error` default); the workflow input is the
 * parsed event plus its key and time, so the body limit keeps 512 KiB of room (see also the receiver's check of
 * the encoded input, src/api/webhook.ts).
 */
export const MAX_BODY_LIMIT_BYTES = TEMPORAL_PAYLOAD_LIMIT_BYTES - 512 * 1024;

/** The namespace retention the dev stack and the compose setup job set: how long Temporal remembers an event key. */
export const NAMESPACE_RETENTION_SECONDS = 7 * 86_400;

/**
 * MAX_STARTS_IN_FLIGHT's default: the Temporal starts one receiver process has in flight at most; past it a further
 * event is refused at once (503 `overloaded`) instead of waiting out TEMPORAL_START_TIMEOUT_MS behind a saturated
 * Temporal (src/api/start-slots.ts). `npm run bench` on 2 cores, open loop at twice the sustainable rate: with 32,
 * accepted acks' p99 was 1.9 s (the starts queue in the server); with 8, 0.18–0.34 s at the same throughput. Eight
 * starts of ~5–20 ms each are still hundreds of events a second per receiver against a server of its own.
 */
export const DEFAULT_MAX_STARTS_IN_FLIGHT = 8;

const DAY = 86_400;

const TEMPORAL = {
  TEMPORAL_ADDRESS: text('localhost:7233'),
  TEMPORAL_NAMESPACE: text('default'),
  TEMPORAL_TASK_QUEUE: text(DEFAULT_TASK_QUEUE),
};

const REDIS = {
  REDIS_URL: field(
    'redis://127.0.0.1:6390',
    (value) => /^rediss?:\/\//.test(value),
    () => 'must start with redis:// or rediss://',
    (value) => value,
  ),
};

const WEBHOOK = {
  WEBHOOK_PATH: urlPath('/webhooks/whatsapp'),
  WEBHOOK_SECRET: secretList,
  WEBHOOK_SECRET_FILE: secretFile,
};

const VESPER = {
  VESPER_API_URL: httpUrl(VESPER_DOCUMENTED_API_URL),
  // a header value fetch can send: printable ASCII, or it throws before the request leaves
  VESPER_API_KEY: field(
    '',
    (value) => /^[\x21-\x7e]*$/.test(value),
    () => 'must be printable ASCII without spaces',
    (value) => value,
  ),
  // an attempt must fit in the send activity's 30 s start-to-close timeout (src/workflows/retry-policies.ts)
  VESPER_TIMEOUT_MS: integer(10_000, 100, 25_000),
};

const DATA_RETENTION = { DATA_RETENTION_SECONDS: integer(30 * DAY, 60, 3650 * DAY) };
const REJECTED_RETENTION = { REJECTED_RETENTION_SECONDS: integer(7 * DAY, 60, 3650 * DAY) };
const LOGGING = { LOG_LEVEL: oneOf(LOG_LEVELS, 'info') };

export const API_ENV = v.pipe(
  v.object({
    HOST: text('0.0.0.0'),
    PORT: integer(3000, 0, 65535),
    ...WEBHOOK,
    WEBHOOK_BODY_LIMIT_BYTES: integer(1024 * 1024, 1, MAX_BODY_LIMIT_BYTES),
    ADMIN_HOST: text('127.0.0.1'),
    ADMIN_PORT: integer(9462, 0, 65535),
    ...REJECTED_RETENTION,
    TEMPORAL_START_TIMEOUT_MS: integer(5000, 100, 60_000),
    MAX_STARTS_IN_FLIGHT: integer(DEFAULT_MAX_STARTS_IN_FLIGHT, 1, 100_000),
    // the receiver process runs the processing worker too (its settings are the worker's): eager workflow start
    EMBEDDED_WORKER: oneOf(['true', 'false'], 'false'),
    EVENT_MAX_AGE_SECONDS: integer(6 * DAY, 60, NAMESPACE_RETENTION_SECONDS),
    EVENT_MAX_FUTURE_SKEW_SECONDS: integer(3600, 0, DAY),
    ...TEMPORAL,
    ...REDIS,
    HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 100, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 100, 3_600_000),
    HTTP_KEEPALIVE_TIMEOUT_MS: integer(65_000, 100, 3_600_000),
    // a flood of idle sockets must not take every file descriptor; above what two cores can serve at once
    HTTP_MAX_CONNECTIONS: integer(1024, 1, 1_000_000),
    ...LOGGING,
  }),
  v.forward(
    v.partialCheck(
      [['WEBHOOK_SECRET'], ['WEBHOOK_SECRET_FILE']],
      (env) => (env.WEBHOOK_SECRET_FILE ?? env.WEBHOOK_SECRET ?? []).length > 0,
      '(or WEBHOOK_SECRET_FILE) must hold at least one secret',
    ),
    ['WEBHOOK_SECRET'],
  ),
  // node refuses a header timeout longer than the request timeout
  v.forward(
    v.partialCheck(
      [['HTTP_HEADERS_TIMEOUT_MS'], ['HTTP_REQUEST_TIMEOUT_MS']],
      (env) => env.HTTP_HEADERS_TIMEOUT_MS <= env.HTTP_REQUEST_TIMEOUT_MS,
      'must not exceed HTTP_REQUEST_TIMEOUT_MS',
    ),
    ['HTTP_HEADERS_TIMEOUT_MS'],
  ),
  // an event accepted as late as its stamp allows must still find its first run remembered (src/api/event-window.ts)
  v.forward(
    v.partialCheck(
      [['EVENT_MAX_AGE_SECONDS'], ['EVENT_MAX_FUTURE_SKEW_SECONDS']],
      (env) => env.EVENT_MAX_AGE_SECONDS + env.EVENT_MAX_FUTURE_SKEW_SECONDS < NAMESPACE_RETENTION_SECONDS,
      `+ EVENT_MAX_FUTURE_SKEW_SECONDS must stay below the namespace retention (${NAMESPACE_RETENTION_SECONDS} s)`,
    ),
    ['EVENT_MAX_AGE_SECONDS'],
  ),
);

export const WORKER_ENV = v.pipe(
  v.object({
    ...REDIS,
    ...TEMPORAL,
    ...VESPER,
    AUTO_REPLY_TEXT: optionalText,
    AUTO_REPLY_COOLDOWN_SECONDS: integer(DAY, 0, 365 * DAY),
    AUTO_REPLY_MAX_AGE_SECONDS: integer(3600, 1, 7 * DAY),
    // digits only: `+90 555…` and `90555…` are one number
    OWN_NUMBERS: v.pipe(
      optionalText,
      v.transform((value) =>
        (value ?? '')
          .split(',')
          .map((number) => number.replace(/\D/g, ''))
          .filter(Boolean),
      ),
    ),
    ALERT_WEBHOOK_URL: optionalHttpUrl,
    WORKER_METRICS_HOST: text('127.0.0.1'),
    WORKER_METRICS_PORT: integer(9464, 0, 65535),
    WORKER_SDK_METRICS_PORT: integer(9465, 1, 65535),
    TREND_CHECK_INTERVAL_SECONDS: integer(30, 1, 3600),
    TREND_WINDOW_SECONDS: integer(300, 10, DAY),
    ERROR_RATE_THRESHOLD: fraction(0.2),
    ERROR_RATE_MIN_ATTEMPTS: integer(20, 1, 1_000_000),
    DEAD_LETTERS_OPEN_THRESHOLD: integer(10, 1, 1_000_000),
    DEAD_LETTER_ALERT_WINDOW_SECONDS: integer(600, 1, DAY),
    DEAD_LETTER_ALERT_UPDATE_SECONDS: integer(900, 1, DAY),
    SESSION_GRACE_SECONDS: integer(120, 1, DAY),
    SESSION_ESCALATE_AFTER_SECONDS: integer(900, 2, 7 * DAY),
    SESSION_REMINDER_SECONDS: integer(3600, 1, 7 * DAY),
    SESSION_RESTART_INTERVAL_SECONDS: integer(60, 1, DAY),
    SESSION_RESTART_MAX_INTERVAL_SECONDS: integer(900, 1, DAY),
    SESSION_RESTART_MAX_ATTEMPTS: integer(5, 0, 1000),
    SESSION_STATUS_CHECK_DELAY_SECONDS: integer(30, 1, 3600),
    SESSION_FLAP_DISCONNECTS: integer(3, 2, 1000),
    SESSION_FLAP_WINDOW_SECONDS: integer(600, 1, DAY),
    ...DATA_RETENTION,
    ...LOGGING,
  }),
  v.forward(
    v.partialCheck(
      [['AUTO_REPLY_TEXT'], ['VESPER_API_KEY']],
      (env) => env.AUTO_REPLY_TEXT === undefined || env.VESPER_API_KEY !== '',
      'must be set when AUTO_REPLY_TEXT is',
    ),
    ['VESPER_API_KEY'],
  ),
  // the escalation is a second alert: after the first, which the grace's end sends
  v.forward(
    v.partialCheck(
      [['SESSION_GRACE_SECONDS'], ['SESSION_ESCALATE_AFTER_SECONDS']],
      (env) => env.SESSION_ESCALATE_AFTER_SECONDS > env.SESSION_GRACE_SECONDS,
      'must be longer than SESSION_GRACE_SECONDS',
    ),
    ['SESSION_ESCALATE_AFTER_SECONDS'],
  ),
  v.forward(
    v.partialCheck(
      [['SESSION_RESTART_INTERVAL_SECONDS'], ['SESSION_RESTART_MAX_INTERVAL_SECONDS']],
      (env) => env.SESSION_RESTART_MAX_INTERVAL_SECONDS >= env.SESSION_RESTART_INTERVAL_SECONDS,
      'must not be shorter than SESSION_RESTART_INTERVAL_SECONDS',
    ),
    ['SESSION_RESTART_MAX_INTERVAL_SECONDS'],
  ),
);

/** The operator tools; nothing here is required. */
export const OPS_ENV = v.pipe(
  v.object({
    ...TEMPORAL,
    ...REDIS,
    // where the test-event sender posts: a port it connects to, so not 0
    PORT: integer(3000, 1, 65535),
    ...WEBHOOK,
    ...VESPER,
    VESPER_WEBHOOK_SETTINGS_PATH: urlPath('/apps/settings'),
    ...DATA_RETENTION,
    ...REJECTED_RETENTION,
  }),
  // unset, the tools sign with the dev secret; set, it must hold one
  v.forward(
    v.partialCheck(
      [['WEBHOOK_SECRET'], ['WEBHOOK_SECRET_FILE']],
      (env) => {
        const secrets = env.WEBHOOK_SECRET_FILE ?? env.WEBHOOK_SECRET;
        return secrets === undefined || secrets.length > 0;
      },
      '(or WEBHOOK_SECRET_FILE) must hold at least one secret',
    ),
    ['WEBHOOK_SECRET'],
  ),
);

/** Every variable each runtime reads. */
export const RUNTIME_VARIABLES = {
  api: Object.keys(API_ENV.entries),
  worker: Object.keys(WORKER_ENV.entries),
  ops: Object.keys(OPS_ENV.entries),
} as const;

/** Every variable the product reads (`.env.example` documents each; test/unit/env-example.test.ts checks). */
export const ENV_VARIABLES: ReadonlySet<string> = new Set(Object.values(RUNTIME_VARIABLES).flat());
