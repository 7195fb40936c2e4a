/**
 * Arbitraries for hostile webhook requests and an oracle for "is this signed", independent of
 * src/api/signature.ts. Shared by the in-process property test (test/http) and the fuzz run (test/abuse).
 */
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { loadFixture, type FixtureName } from './fixtures';
import { TEST_SECRET } from './signed-request';

export const hmac = (body: Buffer, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
export const sha256Hex = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** What a valid header looks like for these exact bytes: the HMAC in hex, bare or `sha256=`, either case. */
export function isValidSignature(header: string | undefined, body: Buffer, secret = TEST_SECRET): boolean {
  if (header === undefined) return false;
  const hex = header
    .trim()
    .toLowerCase()
    .replace(/^sha256=/, '');
  return hex === hmac(body, secret);
}

export const FIXTURE_NAMES: readonly FixtureName[] = [
  'message-received',
  'message-delivered',
  'message-with-media',
  'session-disconnected',
];

export const seedBodies = FIXTURE_NAMES.map((name) => Buffer.from(JSON.stringify(loadFixture(name))));

/** Bodies of the property test: seed examples, random bytes and JSON, over-limit runs of `{`, near-events. */
export const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(...seedBodies),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)),
  fc.integer({ min: 2049, max: 20_000 }).map((size) => Buffer.alloc(size, '{')),
  fc
    .record({
      type: fc.oneof(
        fc.constantFrom('message.received', 'message.read', 'session.connected', 'group.updated'),
        fc.string(),
      ),
      timestamp: fc.oneof(fc.string(), fc.integer()),
      data: fc.dictionary(
        fc.constantFrom('messageId', 'sessionId', 'text', '__proto__', 'constructor'),
        fc.jsonValue(),
      ),
    })
    .map((event) => Buffer.from(JSON.stringify(event))),
);

export type SignatureKind =
  'valid' | 'prefixed-upper' | 'other-secret' | 'random-hex' | 'garbage' | 'missing';
export const SIGNATURE_KINDS: readonly SignatureKind[] = [
  'valid',
  'prefixed-upper',
  'other-secret',
  'random-hex',
  'garbage',
  'missing',
];

export type Mutation = 'none' | 'flip-byte' | 'truncate' | 'append';
export const MUTATIONS: readonly Mutation[] = ['none', 'none', 'flip-byte', 'truncate', 'append'];

/** Printable ASCII only, so any HTTP client sends it as it is. */
export const garbageHeaderArb = fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s));

export function signatureFor(
  kind: SignatureKind,
  signed: Buffer,
  randomHex: string,
  garbage: string,
): string | undefined {
  switch (kind) {
    case 'valid':
      return hmac(signed, TEST_SECRET);
    case 'prefixed-upper':
      return `sha256=${hmac(signed, TEST_SECRET).toUpperCase()}`;
    case 'other-secret':
      return hmac(signed, 'someone-else');
    case 'random-hex':
      return randomHex;
    case 'garbage':
      return garbage;
    case 'missing':
      return undefined;
  }
}

/** Changes the bytes after they were signed: the signature no longer covers what is sent. */
export function mutate(body: Buffer, mutation: Mutation, position: number): Buffer {
  if (mutation === 'none' || body.length === 0) return mutation === 'append' ? Buffer.from(' ') : body;
  const copy = Buffer.from(body);
  const at = position % copy.length;
  if (mutation === 'flip-byte') copy[at] = (copy[at] ?? 0) ^ 0x01;
  if (mutation === 'truncate') return copy.subarray(0, at);
  if (mutation === 'append') return Buffer.concat([copy, Buffer.from('\n')]);
  return copy;
}

/** Strings a parser or a log line may trip on: RTL and zero-width marks, NUL, lone surrogates, emoji. */
export const nastyStringArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\u202e',
        '\u202d',
        '\u200f',
        '\u200b',
        '\u2060',
        '\ufeff',
        '\u0000',
        '\ud800',
        '\udfff',
        '\ud83d\ude00',
        'e\u0301',
        '\u0645\u0631\u062d\u0628\u0627',
        ':',
        '%',
        ' ',
        '\n',
        '\\',
        '"',
        '__proto__',
        'constructor',
      ),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => parts.join(''));
