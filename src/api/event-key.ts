import { createHash } from 'node:crypto';
import { buildEventKey, encodeKeyPart, eventTypeSpec, type VesperEvent } from '../workflows/contracts';

/** The event key (= workflow ID) of a parsed event and the exact bytes it came in (see buildEventKey). */
export function eventKeyOf(event: VesperEvent, rawBody: Buffer | string): string {
  return buildEventKey({
    type: event.type,
    sessionId: event.data.sessionId,
    messageId: event.data.messageId,
    bodySha256: sha256Hex(rawBody),
  });
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Headers that chose the key before 0.2 (outside the signature, so no longer trusted for it). */
export const LEGACY_EVENT_ID_HEADERS = ['x-vesper-event-id', 'webhook-id'] as const;

/**
 * The IDs a receiver before 0.2 gave this event where they differ from today's key: a redelivery that
 * straddles the upgrade must find the run the old receiver started. Only consulted during the transition
 * (see legacy-keys.ts), and only to answer "duplicate", never to start anything.
 */
export function legacyEventKeys(event: VesperEvent, headerEventId: string | undefined): string[] {
  const type = encodeKeyPart(event.type);
  const { sessionId, messageId } = event.data;
  const session = sessionId ? encodeKeyPart(sessionId) : '-';
  const keys: string[] = [];
  if (headerEventId) keys.push(`${type}:${encodeKeyPart(headerEventId)}`);
  if (event.type.startsWith('session.')) keys.push(`${type}:${session}:${encodeKeyPart(event.timestamp)}`);
  else if (event.type.startsWith('message.') && messageId && eventTypeSpec(event.type)?.key !== 'message')
    keys.push(`${type}:${session}:${encodeKeyPart(messageId)}`);
  return keys;
}
