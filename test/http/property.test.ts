/**
 * Property: over random and mutated requests the receiver never answers 5xx, never starts a workflow or keeps an
 * event without a valid signature over the exact bytes, and never logs a secret, a signature or a whole body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeReceiver } from '../helpers/fake-receiver';
import type { ProcessEventInput } from '../../src/workflows/contracts';
import {
  bodyArb,
  garbageHeaderArb,
  isValidSignature,
  mutate,
  MUTATIONS,
  seedBodies,
  SIGNATURE_KINDS,
  signatureFor,
} from '../helpers/hostile-input';
import { TEST_SECRET } from '../helpers/signed-request';

const RUNS = 1200;

const requestArb = fc.record({
  body: bodyArb,
  signature: fc.constantFrom(...SIGNATURE_KINDS),
  mutation: fc.constantFrom(...MUTATIONS),
  randomHex: fc.stringMatching(/^[0-9a-f]{64}$/),
  garbage: garbageHeaderArb,
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
  ),
  position: fc.nat(),
});

let server: http.Server | undefined;
afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe('receiver under random and mutated requests', () => {
  it(`never 5xx, never starts or keeps unsigned input, never logs secrets (${RUNS} requests)`, async () => {
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const started: ProcessEventInput[] = [];
    let kept = 0;
    const { app } = fakeReceiver({
      bodyLimitBytes: 2048,
      startEvent: async (input) => {
        started.push(input);
        return 'accepted';
      },
      keepRejected: async () => `kept-${++kept}`,
      logger: pino({ level: 'trace' }, sink),
    });
    // one loopback server on app.callback(): request bodies must be the exact bytes, which supertest re-encodes
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp`;
    const statuses = new Map<number, number>();
    const sentSignatures = new Set<string>();

    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const header = signatureFor(r.signature, r.body, r.randomHex, r.garbage);
        const sent = mutate(r.body, r.mutation, r.position);
        const validForSent = isValidSignature(header, sent);
        const before = { started: started.length, kept };

        const headers: Record<string, string> = { 'content-type': r.contentType };
        if (header !== undefined) headers['x-vesper-signature'] = header;
        const res = await fetch(url, { method: 'POST', headers, body: sent });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (header && /^(sha256=)?[0-9a-fA-F]{64}$/.test(header))
          sentSignatures.add(header.slice(-64).toLowerCase());

        expect(res.status).toBeLessThan(500);
        expect([200, 202, 400, 401, 413, 415]).toContain(res.status);
        if (!validForSent) {
          expect(started.length).toBe(before.started);
          expect(kept).toBe(before.kept);
        }
        if (res.status === 202) expect(started.length).toBe(before.started + 1);
      }),
      { numRuns: RUNS },
    );

    const allLogs = logLines.join('');
    expect(allLogs).not.toContain(TEST_SECRET);
    for (const signature of sentSignatures) expect(allLogs.toLowerCase()).not.toContain(signature);
    for (const body of seedBodies) expect(allLogs).not.toContain(body.toString());
    console.log(
      `[property] ${RUNS} requests, answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    // the generators reach every answer the receiver can give, so the property was exercised, not skipped
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([202, 400, 401, 413, 415]));
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
  });
});
