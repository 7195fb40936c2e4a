/** Every Redis key this service writes; the README's data model section documents each. */
export const redisKeys = {
  message: (sessionId: string, messageId: string) => `wa:msg:${sessionId}:${messageId}`,
  sessionMessages: (sessionId: string) => `wa:session:${sessionId}:messages`,
  event: (eventKey: string) => `wa:event:${eventKey}`,
  eventsByType: (type: string) => `wa:stats:events:${type}`,
};
