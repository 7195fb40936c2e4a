import { createHash } from 'node:crypto';
import { buildEventKey, type VesperEvent } from '../workflows/contracts';

/** The event key (= workflow ID) of a parsed event and the exact bytes it came in (see buildEventKey). */
export function eventKeyOf(event: VesperEvent, rawBody: Buffer | string, senderEventId?: string): string {
  return buildEventKey({
    type: event.type,
    sessionId: event.data.sessionId,
    messageId: event.data.messageId,
    timestamp: event.timestamp,
    bodySha256: createHash('sha256').update(rawBody).digest('hex'),
    senderEventId,
  });
}
