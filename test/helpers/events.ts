import type { VesperEvent } from '../../src/workflows/contracts';
import { nowStamp } from './fixtures';

/**
 * A status event (message.sent/delivered/read/played/failed) for one message, at a given epoch second (its
 * `data.timestamp`, which orders statuses); the envelope is stamped now, as a live event's is.
 */
export function statusEvent(
  status: 'sent' | 'delivered' | 'read' | 'played' | 'failed',
  sessionId: string,
  messageId: string,
  at: number,
  extra: Record<string, unknown> = {},
): VesperEvent {
  return {
    type: `message.${status}`,
    timestamp: nowStamp(),
    data: { messageId, sessionId, to: '905551234567@s.whatsapp.net', status, timestamp: at, ...extra },
  };
}

/** An inbound text message from `from` (a WhatsApp JID) in a session. */
export function receivedMessage(
  sessionId: string,
  messageId: string,
  from = '905551234567@s.whatsapp.net',
  extra: Record<string, unknown> = {},
): VesperEvent {
  return {
    type: 'message.received',
    timestamp: nowStamp(),
    data: {
      messageId,
      sessionId,
      from,
      fromName: 'John Doe',
      to: '905559876543@s.whatsapp.net',
      text: 'Hello, I need help with my order',
      timestamp: 1710495000,
      isGroup: false,
      hasMedia: false,
      ...extra,
    },
  };
}
