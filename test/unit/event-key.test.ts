import { describe, expect, it } from 'vitest';
import { buildEventKey } from '../../src/workflows/contracts';

const sha = 'ab'.repeat(32);

describe('buildEventKey', () => {
  it('keys message events by type, session and message ID', () => {
    expect(
      buildEventKey({ type: 'message.received', sessionId: 's1', messageId: 'M1', bodySha256: sha }),
    ).toBe('message.received:s1:M1');
  });

  it('gives the same message ID in two sessions two keys (the seed guide collides them)', () => {
    const a = buildEventKey({ type: 'message.read', sessionId: 'a', messageId: 'M', bodySha256: sha });
    const b = buildEventKey({ type: 'message.read', sessionId: 'b', messageId: 'M', bodySha256: sha });
    expect(a).not.toBe(b);
  });

  it('keys session, group and unknown events (message.* ones too) by a digest of the signed body', () => {
    const d = 'ab'.repeat(16);
    expect(buildEventKey({ type: 'session.connected', sessionId: 's', bodySha256: sha })).toBe(
      `session.connected:s:${d}`,
    );
    expect(buildEventKey({ type: 'group.updated', bodySha256: sha })).toBe(`group.updated:-:${d}`);
    // a reaction names its message, but two reactions to one message are two events
    expect(buildEventKey({ type: 'message.reaction', sessionId: 's', messageId: 'M', bodySha256: sha })).toBe(
      `message.reaction:s:${d}`,
    );
  });

  it('takes no part from the registry for inherited names like constructor', () => {
    expect(buildEventKey({ type: 'constructor', sessionId: 's', messageId: 'M', bodySha256: sha })).toBe(
      `constructor:s:${'ab'.repeat(16)}`,
    );
  });

  it('encodes separators inside parts so two different events cannot share a key', () => {
    const a = buildEventKey({ type: 'message.received', sessionId: 'a:b', messageId: 'c', bodySha256: sha });
    const b = buildEventKey({ type: 'message.received', sessionId: 'a', messageId: 'b:c', bodySha256: sha });
    expect(a).toBe('message.received:a%3Ab:c');
    expect(a).not.toBe(b);
  });

  it('encodes lone surrogates, which Temporal would store as U+FFFD, and keeps wide escapes distinct', () => {
    const key = (sessionId: string) =>
      buildEventKey({ type: 'message.read', sessionId, messageId: 'T', bodySha256: sha });
    expect(key('a\ud800b')).toBe('message.read:a%uD800b:T');
    expect(key('\ud800')).not.toBe(key('\udc00'));
    expect(key('\ud83d\ude00')).toBe('message.read:\ud83d\ude00:T'); // a pair is a real character
    expect(key('\u2028')).toBe('message.read:%u2028:T');
    expect(key('\u2028')).not.toBe(key(' 28'));
    expect(key('\u2028')).not.toBe(key('\ud800'));
  });

  it('measures the length limit in UTF-8 bytes, as Temporal does, and cuts the fallback at whole characters', () => {
    const wide = '\u200b'.repeat(200); // 200 characters, 600 bytes
    const key = buildEventKey({ type: 'message.received', sessionId: wide, messageId: 'M', bodySha256: sha });
    expect(key).toBe(`message.received:~:${'ab'.repeat(16)}`);
    const emojiType = '\ud83d\ude00'.repeat(150); // 300 UTF-16 units
    const fallback = buildEventKey({ type: emojiType, sessionId: 'x', bodySha256: sha });
    expect(fallback).toBe(`${'\ud83d\ude00'.repeat(128)}:~:${'ab'.repeat(16)}`);
    expect(/[\ud800-\udfff]/u.test(fallback)).toBe(false); // no half of a pair left behind
  });
});
