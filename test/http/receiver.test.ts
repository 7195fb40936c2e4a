import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import type { StartEvent } from '../../src/api/start-event';
import type { ProcessEventInput } from '../../src/workflows/contracts';
import { loadFixture } from '../helpers/fixtures';
import { signedHeaders, TEST_SECRET } from '../helpers/signed-request';

/** The receiver with a recording hand-off in place of Temporal (the e2e tests use the real one). */
function receiver(startEvent?: StartEvent) {
  const started: ProcessEventInput[] = [];
  const app = createApp({
    webhookPath: '/webhooks/whatsapp',
    webhookSecrets: [TEST_SECRET],
    bodyLimitBytes: 4096,
    startEvent:
      startEvent ??
      (async (input) => {
        const seen = started.some((s) => s.eventKey === input.eventKey);
        started.push(input);
        return seen ? 'duplicate' : 'accepted';
      }),
    logger: pino({ level: 'silent' }),
  });
  return { http: request(app.callback()), started };
}

const body = JSON.stringify(loadFixture('message-received'));

describe('POST /webhooks/whatsapp', () => {
  it('hands a signed seed event over under its event key', async () => {
    const { http, started } = receiver();
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      status: 'accepted',
      workflowId: 'message.received:my-session:3EB0A1B2C3D4E5F6',
    });
    expect(started).toHaveLength(1);
    expect(started[0]?.event.data.text).toBe('Hello, I need help with my order');
  });

  it('answers a redelivery 200 duplicate', async () => {
    const { http } = receiver();
    await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('duplicate');
  });

  it('refuses bad signatures with 401 and starts nothing', async () => {
    const { http, started } = receiver();
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
  });

  it('maps bad input to 415, 413 and 400', async () => {
    const { http } = receiver();
    const text = await http.post('/webhooks/whatsapp').set('content-type', 'text/plain').send(body);
    expect(text.status).toBe(415);
    const big = JSON.stringify({ type: 'x', timestamp: 't', data: { pad: 'a'.repeat(5000) } });
    expect((await http.post('/webhooks/whatsapp').set(signedHeaders(big)).send(big)).status).toBe(413);
    const broken = '{"type":';
    expect((await http.post('/webhooks/whatsapp').set(signedHeaders(broken)).send(broken)).status).toBe(400);
    const noId = JSON.stringify({ type: 'message.read', timestamp: 't', data: { sessionId: 's' } });
    const missing = await http.post('/webhooks/whatsapp').set(signedHeaders(noId)).send(noId);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('data.messageId');
  });

  it('answers 503 with Retry-After when the hand-off fails, never 2xx', async () => {
    const { http } = receiver(async () => {
      throw new Error('14 UNAVAILABLE: connection refused');
    });
    const res = await http.post('/webhooks/whatsapp').set(signedHeaders(body)).send(body);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(JSON.stringify(res.body)).not.toContain('UNAVAILABLE');
  });

  it('answers /healthz', async () => {
    const { http } = receiver();
    expect((await http.get('/healthz')).body).toEqual({ status: 'ok' });
  });
});
