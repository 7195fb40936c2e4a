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

  it('keys session events by timestamp and anything else by a body digest', () => {
    expect(
      buildEventKey({ type: 'session.connected', sessionId: 's', timestamp: 'T1', bodySha256: sha }),
    ).toBe('session.connected:s:T1');
    expect(buildEventKey({ type: 'group.updated', bodySha256: sha })).toBe(
      `group.updated:-:${'ab'.repeat(16)}`,
    );
  });

  it('prefers a sender-assigned event ID', () => {
    expect(
      buildEventKey({
        type: 'message.received',
        sessionId: 's',
        messageId: 'M',
        bodySha256: sha,
        senderEventId: 'evt_1',
      }),
    ).toBe('message.received:evt_1');
  });

  it('encodes separators inside parts so two different events cannot share a key', () => {
    const a = buildEventKey({ type: 'message.received', sessionId: 'a:b', messageId: 'c', bodySha256: sha });
    const b = buildEventKey({ type: 'message.received', sessionId: 'a', messageId: 'b:c', bodySha256: sha });
    expect(a).toBe('message.received:a%3Ab:c');
    expect(a).not.toBe(b);
  });
});
