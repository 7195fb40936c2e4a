/** The bytes a fuzz case puts on the wire, and whether the oracle counts it as signed. */
import type { OutgoingHttpHeaders } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { bodyBytes } from './fuzz-bodies';
import {
  BAD_FRAMING,
  WEBHOOK_PATH,
  type Encoding,
  type FuzzCase,
  type HttpCase,
  type RawCase,
} from './fuzz-cases';
import { hmac, isValidSignature, mutate, signatureFor } from './hostile-input';
import { TEST_SECRET } from './signed-request';

export interface HttpWire {
  transport: 'http';
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  chunked: boolean;
  /** The bytes the receiver should verify (after Content-Encoding); undefined when it cannot get them. */
  decoded: Buffer | undefined;
  signed: boolean;
}

export interface RawWire {
  transport: 'raw';
  chunks: Buffer[];
  /** Pause between chunks. */
  delayMs: number;
  /** After the last chunk: wait for the answers, half-close, or drop the connection. */
  after: 'wait' | 'half-close' | 'destroy';
  /** Complete answers after which the client hangs up (the server may close first). */
  answers: number;
  signed: boolean;
}

export type Wire = HttpWire | RawWire;

export interface WireContext {
  runTag: string;
  limitBytes: number;
  /** The case's position in the run, for IDs no other case uses. */
  index: number;
}

let bomb: Buffer | undefined;
/** A few KiB that inflate to 8 MiB. */
const gzipBomb = () => (bomb ??= gzipSync(Buffer.alloc(8 * 1024 * 1024, '[')));

function encode(decoded: Buffer, encoding: Encoding): { body: Buffer; decoded: Buffer | undefined } {
  switch (encoding) {
    case 'identity':
      return { body: decoded, decoded };
    case 'gzip':
      return { body: gzipSync(decoded), decoded };
    case 'deflate':
      return { body: deflateSync(decoded), decoded };
    case 'br':
      return { body: brotliCompressSync(decoded), decoded };
    case 'gzip-bomb':
      return { body: gzipBomb(), decoded: undefined };
    case 'bogus-gzip':
    case 'x-unknown':
      return { body: decoded, decoded: undefined };
  }
}

function httpWire(c: HttpCase, ctx: WireContext): HttpWire {
  const original = bodyBytes(c.body, ctx.runTag, ctx.limitBytes);
  const sent = mutate(original, c.mutation, c.position);
  const { body, decoded } = encode(sent, c.encoding);
  const headers: OutgoingHttpHeaders = {};
  if (c.contentTypes.length > 0) headers['content-type'] = [...c.contentTypes];
  if (c.encoding !== 'identity')
    headers['content-encoding'] =
      c.encoding.startsWith('gzip') || c.encoding === 'bogus-gzip' ? 'gzip' : c.encoding;
  let signatures: string[];
  if (c.signature === 'repeated-valid')
    signatures = [hmac(original, TEST_SECRET), hmac(original, TEST_SECRET)];
  else if (c.signature === 'valid-and-garbage') signatures = [hmac(original, TEST_SECRET), c.garbage];
  else
    signatures = [signatureFor(c.signature, original, c.randomHex, c.garbage)].filter((s) => s !== undefined);
  if (signatures.length > 0) headers['x-vesper-signature'] = signatures;
  for (const extra of c.extras) {
    if (extra.kind === 'event-id')
      headers[extra.name] = extra.repeated ? [extra.value, extra.value] : extra.value;
    if (extra.kind === 'expect') headers.expect = extra.value;
    if (extra.kind === 'junk')
      for (let i = 0; i < extra.count; i++)
        headers[`x-junk-${i}`] = 'j'.repeat(Math.ceil(extra.size / extra.count));
  }
  // one header line, valid for the bytes the receiver ends up with: anything else is unsigned
  const signed =
    signatures.length === 1 && decoded !== undefined && isValidSignature(signatures[0], decoded, TEST_SECRET);
  return { transport: 'http', ...c.target, headers, body, chunked: c.chunked, decoded, signed };
}

const request = (body: Buffer, extraHeaders = '', contentLength = body.length) =>
  Buffer.concat([
    Buffer.from(
      `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n` +
        `X-Vesper-Signature: ${hmac(body, TEST_SECRET)}\r\n${extraHeaders}Content-Length: ${contentLength}\r\n\r\n`,
    ),
    body,
  ]);

const seedBody = (seed: { fixture: number; n: number }, ctx: WireContext, messageId?: string) => {
  const body = bodyBytes({ kind: 'seed', ...seed }, ctx.runTag, ctx.limitBytes);
  return messageId ? Buffer.from(body.toString().replace(/"m\d+"/, `"${messageId}"`)) : body;
};

function rawWire(c: RawCase, ctx: WireContext): RawWire {
  const wire = { transport: 'raw' as const, delayMs: 0, after: 'wait' as const, answers: 1, signed: false };
  switch (c.kind) {
    case 'random-bytes':
      return { ...wire, chunks: [Buffer.from(c.bytes)] };
    case 'bad-framing':
      return { ...wire, chunks: [Buffer.from(BAD_FRAMING[c.template] ?? '', 'latin1')] };
    case 'header-overflow': {
      const head =
        c.where === 'url'
          ? `POST ${WEBHOOK_PATH}?q=${'u'.repeat(c.size)} HTTP/1.1\r\nHost: fuzz\r\n`
          : c.where === 'one-header'
            ? `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: fuzz\r\nX-Big: ${'b'.repeat(c.size)}\r\n`
            : `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: fuzz\r\n${'X-Many: m\r\n'.repeat(Math.ceil(c.size / 11))}`;
      return { ...wire, chunks: [Buffer.from(`${head}Content-Length: 0\r\n\r\n`)] };
    }
    case 'truncated': {
      // signed over the whole body, but the body never arrives in full: a message ID no other case uses
      const body = seedBody(c.seed, ctx, `t${ctx.index}`);
      const full = request(body, '', body.length + c.extra);
      const cut = full.length - body.length + Math.floor(body.length * c.keep);
      return { ...wire, chunks: [full.subarray(0, cut)], after: c.after };
    }
    case 'pipelined': {
      // the ID's UTF-8 bytes go on the wire as they are (an HTTP client would refuse them)
      const eventId = c.eventId === undefined ? '' : `X-Vesper-Event-Id: ${ctx.runTag}-${c.eventId}\r\n`;
      const requests = c.seeds.map((seed) => request(seedBody(seed, ctx), eventId));
      return { ...wire, chunks: [Buffer.concat(requests)], answers: requests.length, signed: true };
    }
    case 'trickled': {
      const whole = request(seedBody(c.seed, ctx));
      const size = Math.ceil(whole.length / c.pieces);
      const chunks = Array.from({ length: c.pieces }, (_, i) => whole.subarray(i * size, (i + 1) * size));
      return { ...wire, chunks, delayMs: 2, signed: true };
    }
  }
}

export const toWire = (c: FuzzCase, ctx: WireContext): Wire =>
  c.transport === 'http' ? httpWire(c, ctx) : rawWire(c, ctx);
