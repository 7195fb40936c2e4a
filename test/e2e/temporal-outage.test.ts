/**
 * Temporal down: the receiver answers 503 with Retry-After (never 2xx), /readyz says not ready, and once the
 * server is back the same event is accepted. Uses its own dev server (SQLite file), since it stops it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../scripts/lib/managed-process';
import { ensureTemporalCli } from '../../scripts/lib/provision';
import { startTemporalDevServer, type RunningService } from '../../scripts/lib/services';
import { loadFixture } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { post, startReceiver, type PostResult, type RunningReceiver } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import { connectToRedis } from '../helpers/temporal';

let binary: string;
let port: number;
let dataDir: string;
let server: RunningService | undefined;
let connection: Connection;
let redis: Redis;
let receiver: RunningReceiver;

const startServer = async () => {
  server = await startTemporalDevServer({
    binary,
    port,
    dbFile: path.join(dataDir, 'temporal.db'),
    echo: false,
  });
};

beforeAll(async () => {
  binary = (await ensureTemporalCli()).path;
  port = await getFreePort();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'outage-'));
  await startServer();
  connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  redis = connectToRedis();
  const client = new Client({ connection });
  receiver = await startReceiver({ client, redis, taskQueue: uniqueId('tq'), startTimeoutMs: 2000 });
});

afterAll(async () => {
  await receiver?.close();
  await connection?.close();
  await redis?.quit();
  await server?.process.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Temporal outage', () => {
  it('answers 503 + Retry-After while Temporal is down, then accepts the same event once it is back', async () => {
    const before = JSON.stringify(loadFixture('message-received', uniqueId('s')));
    expect((await post(receiver.url, before, signedHeaders(before))).status).toBe(202);

    await server?.process.stop();
    const during = JSON.stringify(loadFixture('message-received', uniqueId('s')));
    const refused = await post(receiver.url, during, signedHeaders(during));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    const ready = await fetch(`${receiver.adminOrigin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { temporal: 'down' } });

    await startServer();
    // Vesper retries after Retry-After; the client reconnects on its own within a few attempts
    let retried: PostResult | undefined;
    for (let attempt = 0; attempt < 30 && retried?.status !== 202; attempt++) {
      retried = await post(receiver.url, during, signedHeaders(during));
      if (retried.status !== 202) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(retried?.status).toBe(202);
    expect(retried?.body.status).toBe('accepted');
    // the event accepted before the outage is still known after the restart (SQLite): a redelivery is a duplicate
    expect((await post(receiver.url, before, signedHeaders(before))).body.status).toBe('duplicate');
  });
});
