import { describe, expect, it } from 'vitest';
import { fakeReceiver } from '../helpers/fake-receiver';
import { loadFixture, nowStamp } from '../helpers/fixtures';
import { signedHeaders } from '../helpers/signed-request';

const NOW = nowStamp();

const body = JSON.stringify(loadFixture('message-received'));

describe('POST /webhooks/whatsapp (app.callback())', () => {
  it('hands a signed seed event over under its event key', async () => {
    const { http, started } = fakeReceiver();
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      status: 'accepted',
      workflowId: 'message.received:my-session:3EB0A1B2C3D4E5F6',
    });
    expect(started).toHaveLength(1);
    expect(started[0]?.event.data.text).toBe('Hello, I need help with my order');
  });

  it('accepts the sha256= header form and a +json content type', async () => {
    const { http } = fakeReceiver();
    const res = await http
      .post('/webhooks/whatsapp')
      .set({ ...signedHeaders(body, undefined, 'prefixed'), 'content-type': 'application/vnd.vesper+json' })
      .send(body);
    expect(res.status).toBe(202);
  });

  it('answers a redelivery 200 duplicate', async () => {
    const { http } = fakeReceiver();
    await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('duplicate');
  });

  it('refuses bad signatures with 401 and starts or keeps nothing', async () => {
    const { http, started, rejected } = fakeReceiver();
    const headers = signedHeaders(body);
    for (const signature of [
      undefined,
      'abc',
      headers['x-vesper-signature'] + 'ff',
      'zz'.repeat(32),
      'ab'.repeat(32),
    ]) {
      const req = http.post('/webhooks/whatsapp').set('content-type', 'application/json');
      const res = await (signature === undefined ? req : req.set('x-vesper-signature', signature)).send(body);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/signature/);
    }
    expect(started).toHaveLength(0);
    expect(rejected).toHaveLength(0);
  });

  it('answers 415 to other content types and 413 over the limit, before verifying anything', async () => {
    const { http, rejected } = fakeReceiver();
    expect((await http.post('/webhooks/whatsapp').set('content-type', 'text/plain').send(body)).status).toBe(
      415,
    );
    expect((await http.post('/webhooks/whatsapp').send()).status).toBe(415);
    const big = JSON.stringify({ type: 'x', timestamp: NOW, data: { pad: 'a'.repeat(5000) } });
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(big)).send(big);
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('request body is too large');
    // the rest of the body was never read, so the connection cannot carry another request
    expect(res.headers.connection).toBe('close');
    expect(rejected).toHaveLength(0);
  });

  it('answers 415 to an unknown Content-Encoding and 400 to a body that does not decode, never 500', async () => {
    const { http, started } = fakeReceiver();
    const unknown = await http
      .post('/webhooks/whatsapp')
      .set({ ...signedHeaders(body), 'content-encoding': 'x-snappy' })
      .send(body);
    expect([unknown.status, unknown.body.error]).toEqual([415, 'Unsupported Content-Encoding: x-snappy']);
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const broken = await http
        .post('/webhooks/whatsapp')
        .set({ ...signedHeaders(body), 'content-encoding': encoding })
        .send(body);
      expect(broken.status).toBe(400);
      expect(broken.body.error).toMatch(/could not be decoded/);
      expect(broken.headers.connection).toBe('close');
    }
    expect(started).toHaveLength(0);
  });

  it('keeps a signed but unusable event and answers 400 with its ID', async () => {
    const { http, rejected } = fakeReceiver();
    for (const [bad, message] of [
      ['{"type":', 'body is not valid JSON'],
      ['[1,2]', 'body must be a JSON object'],
      [JSON.stringify({ timestamp: NOW, data: {} }), 'field "type" must be a non-empty string'],
      [JSON.stringify({ type: 'message.read', timestamp: NOW, data: { sessionId: 's' } }), 'data.messageId'],
      [
        JSON.stringify({ type: 'session.connected', timestamp: NOW, data: [] }),
        'field "data" must be an object',
      ],
      [
        JSON.stringify({
          type: 'message.read',
          timestamp: NOW,
          data: { sessionId: 's', messageId: 'm'.repeat(300) },
        }),
        'at most 256',
      ],
      [
        // deeper than the hand-off's serializer can take: kept, never a 503 retried forever
        `{"type":"group.updated","timestamp":"${NOW}","data":{"deep":${'['.repeat(40)}${']'.repeat(40)}}}`,
        'nested more than 32 levels',
      ],
    ] as const) {
      const res = await http.post('/webhooks/whatsapp').set(signedHeaders(bad)).send(bad);
      expect(res.status).toBe(400);
      expect(res.body.error).toContain(message);
      expect(res.body.rejectedId).toBe(`r${rejected.length}`);
      expect(rejected.at(-1)?.rawBody.toString()).toBe(bad);
    }
  });

  it('answers 503 when a rejected event cannot be kept, so the sender retries', async () => {
    const { http } = fakeReceiver({
      keepRejected: async () => {
        throw new Error('Connection is closed.');
      },
    });
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders('{')).send('{');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('answers 503 with Retry-After when the hand-off fails, never 2xx, and hides the cause', async () => {
    const { http } = fakeReceiver({
      startEvent: async () => {
        throw new Error('14 UNAVAILABLE: connection refused');
      },
    });
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(JSON.stringify(res.body)).not.toContain('UNAVAILABLE');
  });

  it('answers 405 to other methods on the webhook path and 404 elsewhere', async () => {
    const { http } = fakeReceiver();
    const get = await http.get('/webhooks/whatsapp');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await http.post('/elsewhere').set(signedHeaders(body)).send(body)).status).toBe(404);
  });

  it('answers /healthz; /readyz and /metrics are not on the public port (they are on the admin listener)', async () => {
    const { http } = fakeReceiver();
    expect((await http.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await http.get('/readyz')).status).toBe(404);
    expect((await http.get('/metrics')).status).toBe(404);
  });
});
