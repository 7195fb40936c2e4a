import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { VesperEvent } from '../../src/workflows/contracts';

export type FixtureName =
  'message-received' | 'message-delivered' | 'message-with-media' | 'session-disconnected';

/**
 * One of the seed guide's example payloads, optionally moved to another session so tests never collide. Its
 * envelope time is moved to now (to the second, as Vesper stamps), as a live event's is: the guide's March
 * date is past the receiver's acceptance window.
 */
export function loadFixture(name: FixtureName, sessionId?: string): VesperEvent {
  const event = JSON.parse(
    readFileSync(path.join(__dirname, '..', 'fixtures', `${name}.json`), 'utf8'),
  ) as VesperEvent;
  if (sessionId) event.data.sessionId = sessionId;
  event.timestamp = nowStamp();
  return event;
}

/** Now as Vesper stamps events: ISO 8601 to the second. */
export function nowStamp(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
