/**
 * The production entry points as processes, configured only through the environment: a signed event in, a saved
 * message out, and a clean exit on SIGTERM with no secret in any log line.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadFixture } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { startEntryPoints, type EntryPoints } from '../helpers/processes';
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
