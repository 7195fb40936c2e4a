import { encodeKeyPart } from './workflows/contracts';

/**
 * Every Redis key the product writes, the receiver's and the worker's; the README's data model table documents
 * each (test/unit/redis-keys.test.ts holds the two together). IDs from events are
 * encoded (`%`, `:`, `{`, `}`, white space and control characters escaped), so `a:b` + `c` and `a` + `b:c` are
 * different keys and a messageId ending in `:history` is still a message. The keys one step writes together
 * share a hash tag ({s:<session>}, {events} or {dlq}), so each multi-key script touches one Redis Cluster slot.
 * An event key or alert key, already unique, is the whole tail of its own prefix.
 */
export const redisKeys = {
  message: (sessionId: string, messageId: string) => `${session(sessionId)}:msg:${part(messageId)}`,
  messageHistory: (sessionId: string, messageId: string) =>
    `${session(sessionId)}:msg:${part(messageId)}:history`,
  messageStatusEvents: (sessionId: string, messageId: string) =>
    `${session(sessionId)}:msg:${part(messageId)}:status-events`,
  sessionMessages: (sessionId: string) => `${session(sessionId)}:messages`,
  session: (sessionId: string) => `${session(sessionId)}:state`,
  autoReplyCooldown: (sessionId: string, contact: string) =>
    `${session(sessionId)}:cooldown:${part(contact)}`,
  event: (eventKey: string) => `wa:{events}:event:${eventKey}`,
  eventsByType: (type: string) => `wa:{events}:count:${part(type)}`,
  unhandledEvents: 'wa:{events}:unhandled',
  autoReply: (eventKey: string) => `wa:reply:${eventKey}`,
  alert: (alertKey: string) => `wa:alert:${alertKey}`,
  deadLetter: (workflowId: string) => `wa:{dlq}:letter:${workflowId}`,
  deadLettersOpen: 'wa:{dlq}:open',
  deadLettersAll: 'wa:{dlq}:all',
  /** Trend alert state, one per trend (src/monitoring/trend-alerts.ts). */
  trendState: (trend: string) => `wa:trend:${trend}`,
  /** The receiver: signed but unusable requests, record and index under one hash tag (written together). */
  rejectedEvent: (id: string) => `wa:{rejected}:event:${id}`,
  /** Sorted set of rejected IDs by latest arrival (ms); entries past the retention are trimmed on each write. */
  rejectedIndex: 'wa:{rejected}:index',
  /** When this deployment first ran a receiver with today's event-key form (epoch ms); set once, never moved. */
  eventKeyFormSince: 'wa:event-key-form:2:since',
};

function session(sessionId: string): string {
  return `wa:{s:${part(sessionId)}}`;
}

/** encodeKeyPart, plus the braces that would end a hash tag early. */
function part(id: string): string {
  return encodeKeyPart(id).replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D'));
}

/** Markers that make effects idempotent outlive Temporal's 7-day retention (its dedupe window) by far. */
export const MARKER_TTL_SECONDS = 30 * 86_400;
