/**
 * What the receiver exposes and what Redis keeps, on the real dev server and Redis: metrics and readiness only on
 * the admin listener (loopback by default), readiness cached, connections bounded by default, a body that would
 * exceed Temporal's payload limit refused and kept, and every record holding personal data given a retention.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisKeys } from '../../src/redis-keys';
import { ConfigError, loadApiConfig, loadWorkerConfig, MAX_BODY_LIMIT_BYTES } from '../../src/config';
import { TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../../src/workflows/contracts';
import { nowStamp } from '../helpers/fixtures';
import { receivedMessage, statusEvent } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import type { Pipeline } from '../helpers/pipeline';
import {
  post,
  startReceiverFor,
  startReceiverPipeline,
  stopReceiverPipeline,
  type RunningReceiver,
} from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';

const DAY = 86_400;
/** The one variable the receiver requires; everything else at its default. */
const API_ENV = { WEBHOOK_SECRET: 'a-secret' };
let p: Pipeline;
let receiver: RunningReceiver;

beforeAll(async () => ({ p, receiver } = await startReceiverPipeline()));
afterAll(() => stopReceiverPipeline({ p, receiver }));

const postSigned = (body: string) => post(receiver.url, body, signedHeaders(body));

describe('the admin listener', () => {
  it('serves /metrics and /readyz; the public webhook port does not', async () => {
    for (const path of ['/metrics', '/readyz']) {
      expect((await fetch(`${receiver.origin}${path}`)).status).toBe(404);
    }
    const metrics = await fetch(`${receiver.adminOrigin}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('whatsapp_webhooks_received_total');
    const ready = await fetch(`${receiver.adminOrigin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { temporal: 'ok', redis: 'ok' } });
    // loopback unless the operator says otherwise; the worker's /metrics too
    expect(loadApiConfig(API_ENV).admin).toEqual({ host: '127.0.0.1', port: 9462 });
    expect(loadWorkerConfig({}).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('a flood of /readyz probes costs Temporal one call per 2 s, not one per probe', async () => {
    const describeNamespace = vi.spyOn(p.env.client.workflowService, 'describeNamespace');
    try {
      await new Promise((resolve) => setTimeout(resolve, 2100)); // past any cached answer
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${receiver.adminOrigin}/readyz`).then((r) => r.status)),
      );
      for (let i = 0; i < 50; i++) answers.push((await fetch(`${receiver.adminOrigin}/readyz`)).status);
      expect(answers.every((s) => s === 200)).toBe(true);
      expect(describeNamespace.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(describeNamespace.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      describeNamespace.mockRestore();
    }
  });
});

describe('bounds', () => {
  it('connections are bounded by default; past the bound a connection is closed on arrival', async () => {
    expect(loadApiConfig(API_ENV).http.maxConnections).toBe(1024);
    const bounded = await startReceiverFor(p, {
      http: { ...loadApiConfig(API_ENV).http, maxConnections: 3 },
    });
    const port = Number(new URL(bounded.origin).port);
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    const held = await Promise.all([open(), open(), open()]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const extra = await open();
      const closed = await new Promise<boolean>((resolve) => {
        extra.on('close', () => resolve(true));
        extra.on('error', () => resolve(true));
        setTimeout(() => resolve(false), 3000);
      });
      expect(closed).toBe(true);
    } finally {
      for (const s of held) s.destroy();
      await bounded.close();
    }
  });

  it('the body limit cannot be set at or above what Temporal accepts as a payload', () => {
    expect(MAX_BODY_LIMIT_BYTES).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT_BYTES);
    expect(() =>
      loadApiConfig({ ...API_ENV, WEBHOOK_BODY_LIMIT_BYTES: String(TEMPORAL_PAYLOAD_LIMIT_BYTES) }),
    ).toThrow(ConfigError);
    expect(
      loadApiConfig({ ...API_ENV, WEBHOOK_BODY_LIMIT_BYTES: String(MAX_BODY_LIMIT_BYTES) }).bodyLimitBytes,
    ).toBe(MAX_BODY_LIMIT_BYTES);
  });

  it('a signed body inside the limit that encodes past the payload limit is refused (413) and kept, not retried forever', async () => {
    // `1e20` is 4 bytes on the wire and 21 once parsed and encoded again: 480 KB in, 2.2 MB out
    const event = receivedMessage(uniqueId('s'), 'M1');
    const body = JSON.stringify(event).replace(
      '"data":{',
      `"data":{"numbers":[${Array(100_000).fill('1e20').join(',')}],`,
    );
    expect(body.length).toBeLessThan(loadApiConfig(API_ENV).bodyLimitBytes);
    const res = await postSigned(body);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/payload limit/);
    expect(await p.redis.hget(redisKeys.rejectedEvent(res.body.rejectedId ?? ''), 'body')).toBe(body);
  });
});

describe('retention of personal data', () => {
  it('a rejected body expires after REJECTED_RETENTION_SECONDS (7 days by default)', async () => {
    const body = JSON.stringify({
      type: 'message.received',
      timestamp: nowStamp(),
      data: { text: 'my number is 905551234567' },
    });
    const res = await postSigned(body);
    expect(res.status).toBe(400);
    const ttl = await p.redis.ttl(redisKeys.rejectedEvent(res.body.rejectedId ?? ''));
    expect(ttl).toBeGreaterThan(7 * DAY - 60);
    expect(ttl).toBeLessThanOrEqual(7 * DAY);
  });

  it('messages, their histories, session states and recorded events expire after DATA_RETENTION_SECONDS (30 days)', async () => {
    const s = uniqueId('s');
    const events = [
      receivedMessage(s, 'M1'),
      statusEvent('read', s, 'M1', Math.floor(Date.now() / 1000)),
      { type: 'session.connected', timestamp: nowStamp(), data: { sessionId: s } },
      { type: 'group.participants.updated', timestamp: nowStamp(), data: { sessionId: s, groupId: 'g1' } },
    ];
    const handles = [];
    for (const e of events) handles.push(await p.start(e));
    for (const h of handles) await h.result();
    const keys = [
      redisKeys.message(s, 'M1'),
      redisKeys.messageHistory(s, 'M1'),
      redisKeys.messageStatusEvents(s, 'M1'),
      redisKeys.sessionMessages(s),
      redisKeys.session(s),
      redisKeys.event(handles[3]?.workflowId ?? ''),
    ];
    for (const key of keys) {
      const ttl = await p.redis.ttl(key);
      expect({ key, ttl, ok: ttl > 30 * DAY - 60 && ttl <= 30 * DAY }).toEqual({ key, ttl, ok: true });
    }
    expect(loadWorkerConfig({}).retention.dataSeconds).toBe(30 * DAY);
  });
});
