/**
 * Hostile bodies for the fuzz run, as small specs that become bytes only when sent (a 10,000-case sample would
 * otherwise hold gigabytes). `runTag` goes into IDs so the run's workflows and kept events are its own.
 */
import fc from 'fast-check';
import { loadFixture, nowStamp } from './fixtures';
import { FIXTURE_NAMES, nastyStringArb } from './hostile-input';

const NOW = nowStamp();

export type BodySpec =
  | { kind: 'seed'; fixture: number; n: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'json'; text: string }
  | { kind: 'near-event'; event: unknown }
  | { kind: 'proto'; template: number }
  | { kind: 'deep'; depth: number; opener: '[' | '{"a":'; closed: boolean; inEvent: boolean }
  | { kind: 'raw-utf8'; fixture: number; n: number; bytes: number[] }
  | { kind: 'bom-or-utf16'; fixture: number; n: number; form: 'bom' | 'utf16le' }
  | { kind: 'many-keys'; keys: number }
  | { kind: 'long-ids'; char: string; sessionChars: number; messageChars: number; n: number }
  | { kind: 'big'; bytes: number }
  | { kind: 'over-limit'; extra: number };

const seedEvent = (fixture: number, n: number, runTag: string) => {
  const event = loadFixture(FIXTURE_NAMES[fixture % FIXTURE_NAMES.length] ?? 'message-received');
  // a small pool of keys per run, so the run sees duplicates (200) as well as new events (202)
  const data = event.data as Record<string, unknown>;
  data.sessionId = `${runTag}-s${n % 7}`;
  if ('messageId' in data) data.messageId = `m${n}`;
  return event;
};

/** `__proto__`, `constructor` and `prototype` where a merge or a lookup would trip on them. */
const PROTO_TEMPLATES = [
  `{"__proto__":{"type":"message.received","timestamp":"${NOW}","data":{"sessionId":"TAG"}},"x":1}`,
  `{"type":"group.updated","timestamp":"${NOW}","__proto__":{"polluted":"yes"},"data":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"sessionId":"TAG"}}`,
  '{"type":"constructor","timestamp":"prototype","data":{"sessionId":"__proto__"}}',
  `{"type":"message.received","timestamp":"${NOW}","data":{"messageId":"__proto__","sessionId":"TAG-constructor"}}`,
  '{"type":"toString","timestamp":"hasOwnProperty","data":{"valueOf":1,"sessionId":"TAG"}}',
  `{"type":"session.connected","timestamp":"${NOW}","data":{"__proto__":{"sessionId":"TAG"}}}`,
  `{"type":"group.updated","timestamp":"${NOW}","data":{"__proto__":null}}`,
  '{"type":"__proto__","timestamp":"__proto__","data":{"__proto__":[],"prototype":{},"sessionId":"TAG"}}',
  `{"constructor":{"prototype":{"type":"x"}},"type":"message.read","timestamp":"${NOW}","data":{"sessionId":"TAG","messageId":"prototype"}}`,
];

const nestedIn = (spec: Extract<BodySpec, { kind: 'deep' }>, runTag: string) => {
  const closer = spec.opener === '[' ? ']' : '}';
  const nest =
    spec.opener.repeat(spec.depth) +
    (spec.opener === '[' ? '' : '0') +
    (spec.closed ? closer.repeat(spec.depth) : '');
  return spec.inEvent
    ? `{"type":"group.updated","timestamp":"${NOW}","data":{"sessionId":"${runTag}","deep":${nest}}}`
    : nest;
};

export function bodyBytes(spec: BodySpec, runTag: string, limitBytes: number): Buffer {
  switch (spec.kind) {
    case 'seed':
      return Buffer.from(JSON.stringify(seedEvent(spec.fixture, spec.n, runTag)));
    case 'bytes':
      return Buffer.from(spec.bytes);
    case 'json':
      return Buffer.from(spec.text);
    case 'near-event':
      return Buffer.from(JSON.stringify(spec.event));
    case 'proto':
      return Buffer.from((PROTO_TEMPLATES[spec.template] ?? '{}').replaceAll('TAG', runTag));
    case 'deep':
      return Buffer.from(nestedIn(spec, runTag));
    case 'raw-utf8': {
      // invalid UTF-8 spliced into a string value: encoded surrogates, overlong NUL, stray bytes
      const text = JSON.stringify(seedEvent(spec.fixture, spec.n, runTag));
      const field = text.includes('"text":"') ? '"text":"' : '"sessionId":"';
      const at = text.indexOf(field) + field.length;
      return Buffer.concat([
        Buffer.from(text.slice(0, at)),
        Buffer.from(spec.bytes),
        Buffer.from(text.slice(at)),
      ]);
    }
    case 'bom-or-utf16': {
      const text = JSON.stringify(seedEvent(spec.fixture, spec.n, runTag));
      return spec.form === 'bom' ? Buffer.from(`\ufeff${text}`) : Buffer.from(text, 'utf16le');
    }
    case 'many-keys': {
      const data: Record<string, number> = { [`sessionId`]: 0 };
      for (let i = 0; i < spec.keys; i++) data[`k${i}`] = i;
      return Buffer.from(
        JSON.stringify({ type: 'group.updated', timestamp: NOW, data: { ...data, sessionId: runTag } }),
      );
    }
    case 'long-ids': {
      // within the 256-character limit per ID, but up to 4 bytes each once Temporal stores the key as UTF-8
      const id = (chars: number, tag: string) => `${tag}${spec.char.repeat(chars)}`.slice(0, 256);
      const event = seedEvent(0, spec.n, runTag);
      Object.assign(event.data, {
        sessionId: id(spec.sessionChars, runTag),
        messageId: id(spec.messageChars, `m${spec.n}`),
      });
      return Buffer.from(JSON.stringify(event));
    }
    case 'big': {
      const event = { type: 'group.updated', timestamp: NOW, data: { sessionId: runTag, pad: '' } };
      const size = Math.min(spec.bytes, limitBytes - 200);
      event.data.pad = 'x'.repeat(Math.max(0, size - JSON.stringify(event).length));
      return Buffer.from(JSON.stringify(event));
    }
    case 'over-limit':
      return Buffer.alloc(limitBytes + spec.extra, '[');
  }
}

const invalidUtf8 = fc.array(
  fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0x80], [0xff], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x80]),
  { minLength: 1, maxLength: 4 },
);

export const bodySpecArb: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('seed'), fixture: fc.nat(3), n: fc.nat(150) }) },
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant('bytes'), bytes: fc.uint8Array({ maxLength: 2048 }) }),
  },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('json'), text: fc.json({ maxDepth: 6 }) }) },
  {
    weight: 15,
    arbitrary: fc.record({
      kind: fc.constant('near-event'),
      event: fc.record({
        type: fc.oneof(
          fc.constantFrom('message.received', 'message.read', 'session.connected', 'group.updated'),
          nastyStringArb,
        ),
        timestamp: fc.oneof(nastyStringArb, fc.integer(), fc.constant(1e308)),
        data: fc.dictionary(
          fc.oneof(
            fc.constantFrom('messageId', 'sessionId', 'text', '__proto__', 'constructor', 'prototype'),
            nastyStringArb,
          ),
          fc.oneof(nastyStringArb, fc.jsonValue({ maxDepth: 3 })),
        ),
      }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('proto'), template: fc.nat(PROTO_TEMPLATES.length - 1) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('deep'),
      depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1000, max: 100_000 })),
      opener: fc.constantFrom('[' as const, '{"a":' as const),
      closed: fc.boolean(),
      inEvent: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('raw-utf8'),
      fixture: fc.nat(3),
      n: fc.nat(150),
      bytes: invalidUtf8.map((parts) => parts.flat()),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('bom-or-utf16'),
      fixture: fc.nat(3),
      n: fc.nat(150),
      form: fc.constantFrom('bom' as const, 'utf16le' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('many-keys'), keys: fc.integer({ min: 100, max: 40_000 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('long-ids'),
      char: fc.constantFrom('\u4e2d', '\u0645', 'e', '\ud83d\ude00', '\u200b'),
      sessionChars: fc.integer({ min: 1, max: 256 }),
      messageChars: fc.integer({ min: 1, max: 256 }),
      n: fc.nat(150),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('big'),
      bytes: fc.integer({ min: 64 * 1024, max: 1024 * 1024 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('over-limit'),
      extra: fc.integer({ min: 1, max: 1024 * 1024 }),
    }),
  },
);
