/**
 * The fuzz run's cases as small specs (see fuzz-wire.ts for the bytes they become): well-framed requests for an
 * HTTP client, and broken framing, oversized headers, truncated, trickled and pipelined requests for a raw socket.
 */
import fc from 'fast-check';
import { bodySpecArb } from './fuzz-bodies';
import { garbageHeaderArb, MUTATIONS, nastyStringArb, SIGNATURE_KINDS } from './hostile-input';

export const WEBHOOK_PATH = '/webhooks/whatsapp';

/** Framing node's parser must refuse (or, for the last few, answer as usual). */
export const BAD_FRAMING = [
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nX-Vesper-Signature: a\u0000b\r\nContent-Length: 2\r\n\r\n{}',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\nContent-Length: 0\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/1.1\nHost: x\nContent-Length: 0\n\n',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\n{}',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'POST /webhooks/whatsapp HTTP/9.9\r\nHost: x\r\n\r\n',
  'post /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /webhooks/whatsapp\r\n\r\n',
  'POST /web hooks HTTP/1.1\r\nHost: x\r\n\r\n',
  `POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;${'a'.repeat(20_000)}\r\n`,
  'POST /webhooks/whatsapp%00 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  'POST http://elsewhere.invalid/webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
  'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
];

export type HeaderExtra =
  | { kind: 'event-id'; name: 'x-vesper-event-id' | 'webhook-id'; value: string; repeated: boolean }
  | { kind: 'junk'; count: number; size: number }
  | { kind: 'expect'; value: string };

const latin1Arb = fc
  .array(
    fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f),
    { minLength: 1, maxLength: 4000 },
  )
  .map((codes) => String.fromCharCode(...codes));

const headerExtraArb: fc.Arbitrary<HeaderExtra> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('event-id' as const),
      name: fc.constantFrom('x-vesper-event-id' as const, 'webhook-id' as const),
      value: latin1Arb,
      repeated: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('junk' as const),
      count: fc.integer({ min: 1, max: 300 }),
      size: fc.integer({ min: 1, max: 4000 }),
    }),
  },
  {
    // node answers an unknown expectation 417 before the app sees the request: rare, or it hides the rest
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('expect' as const),
      value: fc.constantFrom('100-continue', '100-continue', 'x-weird'),
    }),
  },
);

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.vesper+json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  '*/*',
  'application/json, text/plain',
];

const httpCaseArb = fc.record({
  transport: fc.constant('http' as const),
  target: fc.oneof(
    { weight: 14, arbitrary: fc.constant({ method: 'POST', path: WEBHOOK_PATH }) },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'POST'),
        path: fc.constantFrom(
          `${WEBHOOK_PATH}?x=1`,
          `${WEBHOOK_PATH}/`,
          '/WEBHOOKS/WHATSAPP',
          '/webhooks//whatsapp',
          `${WEBHOOK_PATH}%00`,
          '/%2e%2e/webhooks/whatsapp',
          '/healthz',
          '/readyz',
          '/metrics',
          '/',
        ),
      }),
    },
  ),
  body: bodySpecArb,
  signature: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...SIGNATURE_KINDS, 'valid' as const, 'valid' as const) },
    { weight: 1, arbitrary: fc.constantFrom('repeated-valid' as const, 'valid-and-garbage' as const) },
  ),
  mutation: fc.constantFrom(...MUTATIONS),
  position: fc.nat(),
  randomHex: fc.stringMatching(/^[0-9a-f]{64}$/),
  garbage: garbageHeaderArb,
  contentTypes: fc.oneof(
    { weight: 8, arbitrary: fc.constant(['application/json']) },
    { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES).map((t) => [t]) },
    {
      weight: 1,
      arbitrary: fc.constantFrom([], ['application/json', 'text/plain'], ['text/plain', 'application/json']),
    },
  ),
  encoding: fc.oneof(
    { weight: 20, arbitrary: fc.constant<Encoding>('identity') },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Encoding>('gzip', 'deflate', 'br', 'gzip-bomb', 'bogus-gzip', 'x-unknown'),
    },
  ),
  extras: fc.array(headerExtraArb, { maxLength: 2 }),
  chunked: fc.oneof(
    { weight: 6, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

const seedArb = fc.record({ fixture: fc.nat(3), n: fc.nat(150) });

const rawCaseArb = fc.oneof(
  fc.record({
    transport: fc.constant('raw' as const),
    kind: fc.constant('random-bytes' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 2048 }),
  }),
  fc.record({
    transport: fc.constant('raw' as const),
    kind: fc.constant('bad-framing' as const),
    template: fc.nat(BAD_FRAMING.length - 1),
  }),
  fc.record({
    transport: fc.constant('raw' as const),
    kind: fc.constant('header-overflow' as const),
    where: fc.constantFrom('one-header' as const, 'many-headers' as const, 'url' as const),
    size: fc.integer({ min: 17 * 1024, max: 64 * 1024 }),
  }),
  fc.record({
    transport: fc.constant('raw' as const),
    kind: fc.constant('truncated' as const),
    seed: seedArb,
    extra: fc.integer({ min: 1, max: 1_000_000 }),
    keep: fc.double({ min: 0, max: 1, noNaN: true }),
    after: fc.constantFrom('half-close' as const, 'destroy' as const),
  }),
  fc.record({
    transport: fc.constant('raw' as const),
    kind: fc.constant('pipelined' as const),
    seeds: fc.array(seedArb, { minLength: 2, maxLength: 4 }),
    eventId: fc.option(nastyStringArb, { nil: undefined }),
  }),
  fc.record({
    transport: fc.constant('raw' as const),
    kind: fc.constant('trickled' as const),
    seed: seedArb,
    pieces: fc.integer({ min: 2, max: 12 }),
  }),
);

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br' | 'gzip-bomb' | 'bogus-gzip' | 'x-unknown';
export type HttpCase = typeof httpCaseArb extends fc.Arbitrary<infer C> ? C : never;
export type RawCase = typeof rawCaseArb extends fc.Arbitrary<infer C> ? C : never;
export type FuzzCase = HttpCase | RawCase;

export const fuzzCaseArb: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 17, arbitrary: httpCaseArb },
  { weight: 3, arbitrary: rawCaseArb },
);
