import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { VesperEvent } from '../../src/workflows/contracts';

export type FixtureName =
  'message-received' | 'message-delivered' | 'message-with-media' | 'session-disconnected';

/** One of the seed guide's example payloads, optionally moved to another session so tests never collide. */
export function loadFixture(name: FixtureName, sessionId?: string): VesperEvent {
  const event = JSON.parse(
    readFileSync(path.join(__dirname, '..', 'fixtures', `${name}.json`), 'utf8'),
  ) as VesperEvent;
  if (sessionId) event.data.sessionId = sessionId;
  return event;
}
