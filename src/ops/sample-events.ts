import { randomBytes } from 'node:crypto';
import {
  EVENT_TYPES,
  KNOWN_EVENT_TYPES,
  type KnownEventType,
  type VesperEvent,
} from '../workflows/contracts';

/** Every type in the registry has a sample. */
export const SAMPLE_TYPES: readonly KnownEventType[] = KNOWN_EVENT_TYPES;

export interface SampleOptions {
  sessionId?: string;
  /** For message events: the message they are about. */
  messageId?: string;
  /** For message.received: the sender's JID. */
  from?: string;
  now?: Date;
}

/** A realistic event of the shapes in Vesper's guide, with a fresh message ID (WhatsApp style: 3EB0 + hex). */
export function sampleEvent(type: KnownEventType, options: SampleOptions = {}): VesperEvent {
  const spec = EVENT_TYPES[type];
  const now = options.now ?? new Date();
  const timestamp = now.toISOString();
  const data: VesperEvent['data'] = { ...spec.sample, sessionId: options.sessionId ?? 'my-session' };
  if ((spec.required as readonly string[]).includes('messageId')) {
    data.messageId = options.messageId ?? `3EB0${randomBytes(6).toString('hex').toUpperCase()}`;
    data.timestamp = Math.floor(now.getTime() / 1000);
  }
  if (options.from && type === 'message.received') data.from = options.from;
  if (type === 'session.disconnected') data.lastSeen = timestamp;
  return { type, timestamp, data };
}
