/** Every Redis key the worker writes; the README's data model section documents each. */
export const redisKeys = {
  message: (sessionId: string, messageId: string) => `wa:msg:${sessionId}:${messageId}`,
  messageHistory: (sessionId: string, messageId: string) => `wa:msg:${sessionId}:${messageId}:history`,
  messageStatusEvents: (sessionId: string, messageId: string) =>
    `wa:msg:${sessionId}:${messageId}:status-events`,
  sessionMessages: (sessionId: string) => `wa:session:${sessionId}:messages`,
  session: (sessionId: string) => `wa:session:${sessionId}`,
  event: (eventKey: string) => `wa:event:${eventKey}`,
  eventsByType: (type: string) => `wa:stats:events:${type}`,
  unhandledEvents: 'wa:stats:unhandled',
  autoReply: (eventKey: string) => `wa:autoreply:${eventKey}`,
  autoReplyCooldown: (sessionId: string, contact: string) => `wa:autoreply:cooldown:${sessionId}:${contact}`,
  alert: (alertKey: string) => `wa:alert:${alertKey}`,
  deadLetter: (workflowId: string) => `wa:dlq:${workflowId}`,
  deadLettersOpen: 'wa:dlq:open',
  deadLettersAll: 'wa:dlq:all',
};

/** Markers that make effects idempotent outlive Temporal's 7-day retention (its dedupe window) by far. */
export const MARKER_TTL_SECONDS = 30 * 86_400;
