import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis-keys';

/** The hash tag Redis Cluster slots a key by: between the first `{` and the next `}`, when not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

/** IDs as senders write them: separators, braces, Turkish letters, emoji, names like `constructor`. */
const id = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', ':', '{', '}', '%', ' ', 'ş', '😀', 'history') }),
  fc.constantFrom('constructor', '__proto__', 'a:b', 'x:history', '{tag}', 'müşteri-destek'),
);

describe('redisKeys', () => {
  it('gives different (session, message) pairs different keys, whatever the IDs hold', () => {
    fc.assert(
      fc.property(id, id, id, id, (s1, m1, s2, m2) => {
        fc.pre(s1 !== s2 || m1 !== m2);
        const one = [
          redisKeys.message(s1, m1),
          redisKeys.messageHistory(s1, m1),
          redisKeys.messageStatusEvents(s1, m1),
        ];
        const two = [
          redisKeys.message(s2, m2),
          redisKeys.messageHistory(s2, m2),
          redisKeys.messageStatusEvents(s2, m2),
        ];
        for (const key of one) expect(two).not.toContain(key);
        expect(new Set(one).size).toBe(3);
        expect(one).not.toContain(redisKeys.sessionMessages(s2));
        expect(one).not.toContain(redisKeys.session(s2));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts the keys each script writes together under one hash tag (one Redis Cluster slot)', () => {
    fc.assert(
      fc.property(id, id, id, (session, message, other) => {
        const messageStep = [
          redisKeys.message(session, message),
          redisKeys.messageHistory(session, message),
          redisKeys.messageStatusEvents(session, message),
          redisKeys.sessionMessages(session),
        ];
        expect(new Set(messageStep.map(hashTag)).size).toBe(1);
        const eventStep = [
          redisKeys.event(`${other}:${message}`),
          redisKeys.eventsByType(other),
          redisKeys.unhandledEvents,
        ];
        expect(new Set(eventStep.map(hashTag))).toEqual(new Set(['events']));
        const rejectedStep = [redisKeys.rejectedEvent(other), redisKeys.rejectedIndex];
        expect(new Set(rejectedStep.map(hashTag))).toEqual(new Set(['rejected']));
        const deadLetterStep = [
          redisKeys.deadLetter(`x:${other}`),
          redisKeys.deadLettersOpen,
          redisKeys.deadLettersAll,
        ];
        expect(new Set(deadLetterStep.map(hashTag))).toEqual(new Set(['dlq']));
      }),
    );
  });

  it('never lets a dead letter or recorded event be named like an index', () => {
    expect(redisKeys.deadLetter('open')).not.toBe(redisKeys.deadLettersOpen);
    expect(redisKeys.event('unhandled')).not.toBe(redisKeys.unhandledEvents);
    expect(redisKeys.rejectedEvent('index')).not.toBe(redisKeys.rejectedIndex);
  });

  it("names every key it builds in the README's data model table, and the table names no other", () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.split('## Redis data model')[1]?.split('\n## ')[0] ?? '';
    const documented = new Set(
      section
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1])),
    );
    const built = Object.entries(redisKeys).map(([name, key]) => {
      if (typeof key === 'string') return key;
      const placeholders = PLACEHOLDERS[name];
      if (!placeholders)
        throw new Error(`redisKeys.${name}: say in PLACEHOLDERS how the README names its parts`);
      return (key as (...parts: string[]) => string)(...placeholders);
    });
    expect(new Set(built)).toEqual(documented);
  });
});

/** How the README writes each key's variable parts (the module encodes none of these characters). */
const PLACEHOLDERS: Record<string, string[]> = {
  message: ['<session>', '<messageId>'],
  messageHistory: ['<session>', '<messageId>'],
  messageStatusEvents: ['<session>', '<messageId>'],
  sessionMessages: ['<session>'],
  session: ['<session>'],
  autoReplyCooldown: ['<session>', '<contact>'],
  event: ['<eventKey>'],
  eventsByType: ['<type>'],
  autoReply: ['<eventKey>'],
  alert: ['<alertKey>'],
  deadLetter: ['<workflowId>'],
  trendState: ['<trend>'],
  rejectedEvent: ['<id>'],
};
