import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseEvent } from '../../src/api/parse-event';
import { InvalidEventError } from '../../src/api/errors';
import { nowStamp } from '../helpers/fixtures';

const NOW = nowStamp();

const event = (deep: string) =>
  Buffer.from(`{"type":"group.updated","timestamp":"${NOW}","data":{"sessionId":"s","deep":${deep}}}`);
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('parseEvent nesting limit', () => {
  it(`takes events up to ${MAX_JSON_DEPTH} levels deep and refuses deeper ones as invalid (a 400)`, () => {
    // the event object is level 1 and data level 2, so `deep` may add MAX_JSON_DEPTH - 2 levels
    expect(parseEvent(event(nested(MAX_JSON_DEPTH - 2))).type).toBe('group.updated');
    expect(() => parseEvent(event(nested(MAX_JSON_DEPTH - 1)))).toThrow(
      expect.objectContaining({
        name: 'InvalidEventError',
        message: expect.stringContaining('nested more than'),
      }),
    );
  });

  it('refuses 100,000 levels without overflowing the stack', () => {
    expect(() => parseEvent(event(nested(100_000)))).toThrow(InvalidEventError);
    const objects = '{"a":'.repeat(100_000) + '0' + '}'.repeat(100_000);
    expect(() => parseEvent(event(objects))).toThrow(InvalidEventError);
  });
});
