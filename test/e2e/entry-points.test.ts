/**
 * The production entry points as processes, configured only through the environment: a signed event in, a saved
 * message out, and a clean exit on SIGTERM with no secret in any log line.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadFixture } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import {
  parseMetrics,
  startEmbeddedReceiver,
  startEntryPoints,
  type EntryPoints,
} from '../helpers/processes';
import { post } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import { connectToRedis } from '../helpers/temporal';
import { redisKeys } from '../../src/redis-keys';

const SECRET = 'entry-point-secret-value';
const API_KEY = 'entry-point-vesper-api-key';
let entry: EntryPoints;
let connection: Connection;

beforeAll(async () => {
  entry = await startEntryPoints({ WEBHOOK_SECRET: SECRET, VESPER_API_KEY: API_KEY, LOG_LEVEL: 'debug' });
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await entry?.stop();
  await connection?.close();
});

describe('production entry points', () => {
  it('take a signed event to a saved message, then stop cleanly on SIGTERM without logging secrets', async () => {
    const session = uniqueId('s');
    const body = JSON.stringify(loadFixture('message-received', session));
    const res = await post(
      `http://127.0.0.1:${entry.apiPort}/webhooks/whatsapp`,
      body,
      signedHeaders(body, SECRET),
    );
    expect(res.status).toBe(202);

    const client = new Client({ connection });
    await client.workflow.getHandle(res.body.workflowId ?? '').result();
    const redis = connectToRedis();
    expect(await redis.hget(redisKeys.message(session, '3EB0A1B2C3D4E5F6'), 'fromName')).toBe('John Doe');
    await redis.quit();
    expect((await fetch(`http://127.0.0.1:${entry.adminPort}/readyz`)).status).toBe(200);

    entry.api.child.kill('SIGTERM');
    entry.worker.child.kill('SIGTERM');
    expect(await entry.api.exited).toBe(0);
    expect(await entry.worker.exited).toBe(0);
    const logs = `${entry.api.recentOutput()}\n${entry.worker.recentOutput()}`;
    expect(entry.api.recentOutput()).toContain('"outcome":"accepted"');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(signedHeaders(body, SECRET)['x-vesper-signature']);
  });
});

describe('the receiver with an embedded worker (EMBEDDED_WORKER=true)', () => {
  it('runs each event it starts itself, eagerly: the first workflow task comes back in the start', async () => {
    // nine events at once: above the default bound of 8 hand-offs in flight, which test/http/overload.test.ts covers
    const embedded = await startEmbeddedReceiver({
      WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      MAX_STARTS_IN_FLIGHT: '16',
    });
    const client = new Client({ connection });
    const redis = connectToRedis();
    try {
      // sessions as real senders name them, three events in one second each
      const sessions = ['şirket-İstanbul', 'constructor', 'çağrı merkezi 📞'].map(
        (name) => `${name}-${uniqueId('')}`,
      );
      const events = sessions.flatMap((session, i) =>
        ['A', 'B', 'C'].map((id) => ({
          ...loadFixture('message-received', session),
          data: { ...loadFixture('message-received', session).data, messageId: `${id}${i}` },
        })),
      );
      const answers = await Promise.all(
        events.map((event) => {
          const body = JSON.stringify(event);
          return post(
            `http://127.0.0.1:${embedded.apiPort}/webhooks/whatsapp`,
            body,
            signedHeaders(body, SECRET),
          );
        }),
      );
      expect(answers.map((a) => a.status)).toEqual(events.map(() => 202));
      for (const answer of answers) await client.workflow.getHandle(answer.body.workflowId ?? '').result();
      for (const [i, session] of sessions.entries())
        expect(await redis.hget(redisKeys.message(session, `A${i}`), 'fromName')).toBe('John Doe');

      const metrics = parseMetrics(
        await (await fetch(`http://127.0.0.1:${embedded.adminPort}/metrics`)).text(),
      );
      expect(metrics.get('whatsapp_webhook_starts_total{eager="true"}')).toBe(events.length);
      expect(metrics.get('whatsapp_webhook_starts_total{eager="false"}') ?? 0).toBe(0);

      embedded.api.child.kill('SIGTERM');
      expect(await embedded.api.exited).toBe(0);
      expect(embedded.api.recentOutput()).not.toContain(SECRET);
    } finally {
      await redis.quit();
      await embedded.stop();
    }
  }, 120_000);
});
