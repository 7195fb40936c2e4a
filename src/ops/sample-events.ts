import { randomBytes } from 'node:crypto';
import type { VesperEvent } from '../workflows/contracts';

export const SAMPLE_TYPES = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'session.connected',
  'session.disconnected',
  'group.updated',
] as const;

export type SampleType = (typeof SAMPLE_TYPES)[number];

export interface SampleOptions {
  sessionId?: string;
  /** For status events: the message they are about. */
  messageId?: string;
  from?: string;
  now?: Date;
}

/** A realistic event of the shapes in Vesper's guide, with a fresh message ID (WhatsApp style: 3EB0 + hex). */
export function sampleEvent(type: SampleType, options: SampleOptions = {}): VesperEvent {
  const now = options.now ?? new Date();
  const sessionId = options.sessionId ?? 'my-session';
  const messageId = options.messageId ?? `3EB0${randomBytes(6).toString('hex').toUpperCase()}`;
  const epoch = Math.floor(now.getTime() / 1000);
  const timestamp = now.toISOString();
  const contact = options.from ?? '905551234567@s.whatsapp.net';
  switch (type) {
    case 'message.received':
      return {
        type,
        timestamp,
        data: {
          messageId,
          sessionId,
          from: contact,
          fromName: 'John Doe',
          to: '905559876543@s.whatsapp.net',
          text: 'Hello, I need help with my order',
          timestamp: epoch,
          isGroup: false,
          hasMedia: false,
        },
      };
    case 'message.sent':
    case 'message.delivered':
    case 'message.read':
    case 'message.failed': {
      const status = type.slice('message.'.length);
      const error = type === 'message.failed' ? { error: 'recipient unavailable' } : {};
      return {
        type,
        timestamp,
        data: { messageId, sessionId, to: contact, status, timestamp: epoch, ...error },
      };
    }
    case 'session.connected':
      return { type, timestamp, data: { sessionId } };
    case 'session.disconnected':
      return { type, timestamp, data: { sessionId, reason: 'phone_offline', lastSeen: timestamp } };
    case 'group.updated':
      return { type, timestamp, data: { sessionId, groupId: '120363025246125486@g.us', subject: 'Support' } };
  }
}
