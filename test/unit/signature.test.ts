import { describe, expect, it } from 'vitest';
import { SignatureError, signBody, verifySignature } from '../../src/api/signature';
import { nowStamp } from '../helpers/fixtures';

const NOW = nowStamp();

const body = Buffer.from(`{"type":"message.received","timestamp":"${NOW}","data":{}}`);
const good = signBody(body, 'secret-a');

function problemOf(header: string | undefined, secrets = ['secret-a']): string | undefined {
  try {
    verifySignature(body, header, secrets);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(SignatureError);
    return (err as SignatureError).problem;
  }
}

describe('verifySignature', () => {
  it('accepts bare hex and sha256=<hex>, in either letter case', () => {
    expect(problemOf(good)).toBeUndefined();
    expect(problemOf(`sha256=${good}`)).toBeUndefined();
    expect(problemOf(good.toUpperCase())).toBeUndefined();
    expect(problemOf(`SHA256=${good.toUpperCase()}`)).toBeUndefined();
  });

  it('accepts a signature made with any secret of a rotation list', () => {
    expect(problemOf(signBody(body, 'secret-b'), ['secret-a', 'secret-b'])).toBeUndefined();
    expect(problemOf(good, ['secret-a', 'secret-b'])).toBeUndefined();
  });

  it('refuses missing, empty, short, long and non-hex signatures without throwing anything else', () => {
    expect(problemOf(undefined)).toBe('missing');
    expect(problemOf('   ')).toBe('missing');
    expect(problemOf(good.slice(0, 10))).toBe('malformed');
    expect(problemOf(`${good}00`)).toBe('malformed');
    expect(problemOf(`${good.slice(0, 63)}z`)).toBe('malformed');
    expect(problemOf('sha1=' + good)).toBe('malformed');
  });

  it('refuses a wrong secret and a body changed by one byte', () => {
    expect(problemOf(signBody(body, 'other'))).toBe('mismatch');
    const changed = Buffer.from(body);
    changed[10] = (changed[10] ?? 0) ^ 1;
    expect(() => verifySignature(changed, good, ['secret-a'])).toThrow(SignatureError);
  });
});
