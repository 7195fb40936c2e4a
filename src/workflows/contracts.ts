/**
 * What the receiver, the worker, the workflows and the tooling agree on. Sandbox-safe: no Node built-ins.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineSignal, type Sinks } from '@temporalio/workflow';
import { eventTypeSpec, UNKNOWN_TYPE_SPEC, type VesperEvent } from './event-types';
import { SESSION_WATCHDOG_WORKFLOW } from './session-contracts';

export const DEFAULT_TASK_QUEUE = 'whatsapp-webhooks';

/** ApplicationFailure types that retrying cannot fix, and the run's own failure after compensation. */
export const FAILURE_TYPES = {
  /** The event lacks what the step needs (the receiver checks this too). */
  invalidEvent: 'InvalidEvent',
  /** Vesper answered 4xx (other than 408/429): the same request will be refused again. */
  vesperRejected: 'VesperRejected',
  /** The alert webhook answered 4xx. */
  alertRejected: 'AlertRejected',
  /** The message is older than AUTO_REPLY_MAX_AGE_SECONDS: a reply now would be pointless. */
  replyExpired: 'ReplyExpired',
  /** Redis refused a write for a reason retrying cannot change (a key of the wrong type, a failing script). */
  storageRejected: 'StorageRejected',
  /** Redis unreachable, not answering in time, loading, out of memory, read-only…: an outage, waited out. */
  storageUnavailable: 'StorageUnavailable',
  /** The run failed for good and its dead letter was recorded. */
  deadLettered: 'DeadLettered',
} as const;

export {
  EVENT_TYPES,
  KNOWN_EVENT_TYPES,
  UNKNOWN_TYPE_SPEC,
  eventTypeLabel,
  eventTypeSpec,
  type EventOf,
  type EventTypeSpec,
  type Handling,
  type KnownEvent,
  type KnownEventType,
  type MessageStatus,
  type VesperEvent,
  type VesperEventData,
} from './event-types';

/** How a workflow tells the worker's metrics (outside the sandbox, never replayed) that an event is done. */
export interface ProcessingSinks extends Sinks {
  metrics: {
    eventFinished(finished: {
      type: string;
      eventTimestamp: string;
      receivedAt: string;
      outcome: 'completed' | 'dead-lettered';
      failedStep?: string;
    }): void;
    /** A session watchdog's outage ended; `alerted`: the team had been told it was down. */
    sessionRecovered(recovery: { downSeconds: number; alerted: boolean }): void;
    /** A session watchdog asked Vesper to restart a session. */
    sessionRestartAttempted(attempt: { outcome: 'requested' | 'refused' | 'failed' }): void;
  };
}

/** Custom search attributes: registered by the dev stack and the production setup job, filterable in the Web UI. */
export const SEARCH_ATTRIBUTES = {
  eventType: defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD),
  sessionId: defineSearchAttributeKey('SessionId', SearchAttributeType.KEYWORD),
  deadLettered: defineSearchAttributeKey('DeadLettered', SearchAttributeType.BOOL),
  failedStep: defineSearchAttributeKey('FailedStep', SearchAttributeType.KEYWORD),
  /** A session watchdog's belief: `connected` or `disconnected` (session-watchdog.ts). */
  sessionStatus: defineSearchAttributeKey('SessionStatus', SearchAttributeType.KEYWORD),
} as const;

export interface ProcessEventInput {
  /** Also the workflow ID: see buildEventKey. */
  eventKey: string;
  event: VesperEvent;
  /** ISO time the receiver accepted the request. */
  receivedAt: string;
  /** Set by `npm run dlq -- resubmit`: this run is a fresh try of a dead letter, which its success resolves. */
  resubmission?: { deadLetterRunId: string; requestedAt: string };
}

/** What the dead-letter path tells the alert group of its (step, error type); no message text, no numbers. */
export interface DeadLetterReport {
  workflowId: string;
  runId: string;
  eventType: string;
  step: string;
  errorType: string;
  /** Status and error code only (see activities/http.ts). */
  error: string;
  failedAt: string;
}

/** Sent with signal-with-start to the group's workflow (deadLetterAlertGroup), started by the first report. */
export const deadLetterReported = defineSignal<[DeadLetterReport]>('deadLetterReported');

export interface AlertGroupInput {
  step: string;
  errorType: string;
  /** The group closes once no dead letter has joined it for this long. */
  windowSeconds: number;
  /** At most one update alert per this interval. */
  updateSeconds: number;
  /** Carried over by continue-as-new. */
  state?: AlertGroupState;
}

export interface AlertGroupState {
  /** Dead letters in the current group, and how many of them an alert has counted. */
  total: number;
  reported: number;
  /** Alerts this workflow sent, across continue-as-new (it numbers their keys). */
  alertsSent: number;
  /** ISO time the current group opened; unset between groups. */
  openedAt?: string;
  lastAlertAt?: string;
  /** The first report since the last alert, and the latest one. */
  firstUnreported?: DeadLetterReport;
  latest?: DeadLetterReport;
  /** Recent members (`workflowId/runId`): a report repeated by a retried activity counts once. */
  recentMembers: string[];
}

/** One alert group per task queue (one deployment) and (step, error type). */
export function deadLetterGroupId(taskQueue: string, step: string, errorType: string): string {
  return ['dead-letter-alerts', taskQueue, step, errorType].map(encodeKeyPart).join(':');
}

/** One session watchdog per task queue (one deployment) and session; the Web UI lists them by type and SessionId. */
export function sessionWatchdogId(taskQueue: string, sessionId: string): string {
  return ['session-watchdog', taskQueue, sessionId].map(encodeKeyPart).join(':');
}

/**
 * The visibility query for the session watchdogs of one task queue: running ones by default, and only those that
 * believe their session down with `down` (the Web UI filter, the sessions-down gauge, `npm run sessions`).
 */
export function sessionWatchdogsQuery(
  taskQueue: string,
  { running = true, down = false }: { running?: boolean; down?: boolean } = {},
): string {
  const quoted = taskQueue.replace(/["\\]/g, '\\$&');
  return [
    `WorkflowType="${SESSION_WATCHDOG_WORKFLOW}"`,
    `TaskQueue="${quoted}"`,
    ...(running ? ['ExecutionStatus="Running"'] : []),
    ...(down ? ['SessionStatus="disconnected"'] : []),
  ].join(' AND ');
}

export * from './session-contracts';

export interface ProcessEventResult {
  eventKey: string;
  /** `processed`: the type's effects ran; `recorded`: a type we keep but do not act on. */
  outcome: 'processed' | 'recorded';
  /** For message.received: whether an auto-reply went out, and if not, why. */
  autoReply?: AutoReplyOutcome;
}

/**
 * `not-a-phone-number`: the sender's JID is a LID or another address Vesper's send API cannot take; `expired`: a
 * later run of a dead-lettered message (redrive, resubmission) found the reply past AUTO_REPLY_MAX_AGE_SECONDS.
 */
export type AutoReplyOutcome =
  | 'expired'
  | 'sent'
  | 'already-sent'
  | 'disabled'
  | 'group'
  | 'own-message'
  | 'no-sender'
  | 'not-a-phone-number'
  | 'cooldown';

export const MAX_EVENT_KEY_LENGTH = 512;

/** Temporal refuses a payload over this (the server's `limit.blobSize.error` default, 2 MiB). */
export const TEMPORAL_PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;
/**
 * The largest workflow input the receiver starts: the payload limit less room for what the workflow adds to the
 * event in its activities' inputs (the dead letter's step, error and times; a record's category).
 */
export const EVENT_INPUT_LIMIT_BYTES = TEMPORAL_PAYLOAD_LIMIT_BYTES - 64 * 1024;

export interface EventKeyParts {
  type: string;
  sessionId?: string;
  messageId?: string;
  /** Hex SHA-256 of the raw (signed) body; the receiver computes it (hashing is not sandbox-safe). */
  bodySha256: string;
}

/**
 * The event key, which is also the workflow ID, so Temporal itself rejects a redelivered event. It is made of
 * signed bytes only (never a header), and separates every distinct event while an exact redelivery (the same
 * signed body) gets the same key:
 * - `<type>:<sessionId>:<messageId>` for types with one event per message (KeyForm `message`);
 * - `<type>:<sessionId or ->:<first 32 hex of sha256(body)>` for the others, known or not (KeyForm `content`):
 *   three session events in one second, or two reactions to one message, are different bodies.
 * Each part has `%`, `:`, white space, control characters and lone surrogates percent-encoded so parts cannot
 * run together.
 * A key over MAX_EVENT_KEY_LENGTH UTF-8 bytes becomes `<type>:~:<first 32 hex of sha256(body)>`.
 */
export function buildEventKey(parts: EventKeyParts): string {
  const key = naturalKey(parts);
  // Temporal caps workflow IDs (1,000 UTF-8 bytes by default); an oversized key falls back to the body digest
  if (utf8Length(key) <= MAX_EVENT_KEY_LENGTH) return key;
  const type = Array.from(encodeKeyPart(parts.type)).slice(0, 128).join(''); // whole characters only
  return `${type}:~:${parts.bodySha256.slice(0, 32)}`;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function naturalKey(parts: EventKeyParts): string {
  const type = encodeKeyPart(parts.type);
  const session = parts.sessionId ? encodeKeyPart(parts.sessionId) : '-';
  const form = (eventTypeSpec(parts.type) ?? UNKNOWN_TYPE_SPEC).key;
  if (form === 'message' && parts.messageId) return `${type}:${session}:${encodeKeyPart(parts.messageId)}`;
  return `${type}:${session}:${parts.bodySha256.slice(0, 32)}`;
}

// lone surrogates too: Temporal stores IDs as UTF-8, which would turn each into U+FFFD and merge distinct keys
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const UNSAFE_KEY_CHARS = /[%:\s\u0000-\u001f\u007f\ud800-\udfff]/gu;

/** `%XX` up to U+00FF, `%uXXXX` above (fixed widths, so two different parts never encode alike). */
export function encodeKeyPart(part: string): string {
  return part.replace(UNSAFE_KEY_CHARS, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff
      ? `%u${code.toString(16).padStart(4, '0').toUpperCase()}`
      : `%${code.toString(16).padStart(2, '0').toUpperCase()}`;
  });
}
