/**
 * Slow clients (issue 7): 200 slowloris sockets against the real receiver, on the production server settings with
 * the timeouts shortened through the same variables an operator would set. While they hang, signed events are
 * still answered quickly; each is then closed by the server within its timeout (plus node's check interval).
 */
import http from 'node:http';
import net from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiConfig, type HttpServerConfig } from '../../src/config';
import { loadFixture } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { startReceiver, type RunningReceiver } from '../helpers/receiver';
import { signedHeaders, TEST_SECRET } from '../helpers/signed-request';
import { connectToDevServer, connectToRedis } from '../helpers/temporal';

const TIMEOUTS = { headers: 2000, request: 4000, keepAlive: 3000 };
// node checks the header and request timeouts every min(1 s, headers / 4): 500 ms here
const CHECK_INTERVAL_MS = 500;
const SLACK_MS = 1500; // a loaded 2-core machine
const TRICKLE_MS = 250;
const P99_BOUND_MS = 1000;

const httpConfig = (extra: Record<string, string> = {}): HttpServerConfig =>
  loadApiConfig({
    WEBHOOK_SECRET: TEST_SECRET,
    HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUTS.headers),
    HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUTS.request),
    HTTP_KEEPALIVE_TIMEOUT_MS: String(TIMEOUTS.keepAlive),
    ...extra,
  }).http;

let env: TestWorkflowEnvironment;
let redis: Redis;

beforeAll(async () => {
  env = await connectToDevServer();
  redis = connectToRedis();
});

afterAll(async () => {
  await redis?.quit();
  await env?.teardown();
});

type Kind = 'silent' | 'headers' | 'body' | 'idle';
interface SlowSocket {
  kind: Kind;
  openedAt: number;
  closed: Promise<{ afterMs: number; answer: string }>;
}

/** A socket that holds on: sends nothing, trickles its headers, trickles its body, or idles after a request. */
function openSlow(port: number, kind: Kind): SlowSocket {
  const socket = net.connect(port, '127.0.0.1');
  const openedAt = performance.now();
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  const trickle = (byte: string) => {
    timer = setInterval(() => socket.writable && socket.write(byte), TRICKLE_MS);
  };
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    if (kind === 'headers') {
      socket.write('POST /webhooks/whatsapp HTTP/1.1\r\nHost: slow\r\nX-Slow: ');
      trickle('a');
    }
    if (kind === 'body') {
      const body = JSON.stringify(loadFixture('message-received', uniqueId('slow')));
      const headers = Object.entries(signedHeaders(body)).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`POST /webhooks/whatsapp HTTP/1.1\r\nHost: slow\r\n${headers.join('')}`);
      socket.write(`Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
      trickle(' ');
    }
    if (kind === 'idle') socket.write('GET /healthz HTTP/1.1\r\nHost: slow\r\n\r\n');
  });
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: performance.now() - openedAt, answer: answer.split('\r\n')[0] ?? '' });
    }),
  );
  return { kind, openedAt, closed };
}

async function signedLatencies(url: string, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const latencies: number[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify(loadFixture('message-received', uniqueId('fast')));
      const started = performance.now();
      const req = http.request(url, { method: 'POST', agent, headers: signedHeaders(body) }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode === 202) resolve();
          else reject(new Error(`answered ${res.statusCode}`));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < count; i += 4) await Promise.all([one(), one(), one(), one()]);
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const openConnections = (receiver: RunningReceiver) =>
  new Promise<number>((resolve) => receiver.server.getConnections((_err, n) => resolve(n)));

describe('slow clients', () => {
  let receiver: RunningReceiver;
  afterAll(() => receiver?.close());

  it('answer signed events quickly while 200 slow sockets hang, then lose them at their timeouts', async () => {
    receiver = await startReceiver({
      client: env.client,
      redis,
      taskQueue: uniqueId('slow-tq'),
      http: httpConfig(),
    });
    const port = (receiver.server.address() as net.AddressInfo).port;
    await signedLatencies(receiver.url, 8); // warm-up: connections, the Temporal client
    const baseline = await signedLatencies(receiver.url, 40);

    const kinds: Kind[] = ['silent', 'headers', 'body', 'idle'];
    const counts: Record<Kind, number> = { silent: 40, headers: 70, body: 70, idle: 20 };
    const slow = kinds.flatMap((kind) => Array.from({ length: counts[kind] }, () => openSlow(port, kind)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const whileSlow = await signedLatencies(receiver.url, 40);
    // all 200 were still open while those answers came back
    expect(await openConnections(receiver)).toBeGreaterThanOrEqual(200);
    const measuredWithinMs = performance.now() - Math.min(...slow.map((s) => s.openedAt));

    const closed = await Promise.all(slow.map((s) => s.closed));
    const report = kinds.map((kind) => {
      const times = closed.filter((_c, i) => slow[i]?.kind === kind).map((c) => c.afterMs);
      return `${kind} ${counts[kind]}: closed after ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms`;
    });
    console.log(
      `slow clients: signed events p50/p99 ${percentile(baseline, 50).toFixed(0)}/${percentile(baseline, 99).toFixed(0)} ms ` +
        `alone, ${percentile(whileSlow, 50).toFixed(0)}/${percentile(whileSlow, 99).toFixed(0)} ms with 200 slow sockets ` +
        `open (measured within ${measuredWithinMs.toFixed(0)} ms of opening them); ${report.join('; ')}`,
    );

    expect(measuredWithinMs).toBeLessThan(TIMEOUTS.headers);
    expect(percentile(whileSlow, 99)).toBeLessThan(P99_BOUND_MS);
    const limit: Record<Kind, number> = {
      silent: TIMEOUTS.headers,
      headers: TIMEOUTS.headers,
      body: TIMEOUTS.request,
      idle: TIMEOUTS.keepAlive + 1000, // node adds 1 s to the keep-alive timeout
    };
    for (const [i, c] of closed.entries()) {
      const kind = slow[i]?.kind ?? 'silent';
      expect(c.afterMs, kind).toBeGreaterThanOrEqual(limit[kind] - 100);
      expect(c.afterMs, kind).toBeLessThan(limit[kind] + CHECK_INTERVAL_MS + SLACK_MS);
      // timed out by the server with a 408, except the idle one, whose request had been answered
      expect(c.answer, kind).toBe(kind === 'idle' ? 'HTTP/1.1 200 OK' : 'HTTP/1.1 408 Request Timeout');
    }
    expect(await openConnections(receiver)).toBe(0);
  });

  it('with HTTP_MAX_CONNECTIONS set, drops connections beyond it at once and serves again once slots free', async () => {
    const cap = await startReceiver({
      client: env.client,
      redis,
      taskQueue: uniqueId('slow-tq'),
      http: httpConfig({ HTTP_MAX_CONNECTIONS: '20' }),
    });
    try {
      const port = (cap.server.address() as net.AddressInfo).port;
      const held = Array.from({ length: 20 }, () => openSlow(port, 'silent'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const extra = await openSlow(port, 'silent').closed;
      expect(extra.afterMs).toBeLessThan(TIMEOUTS.headers / 2);
      await Promise.all(held.map((s) => s.closed));
      expect(await signedLatencies(cap.url, 4)).toHaveLength(4);
    } finally {
      await cap.close();
    }
  });
});
