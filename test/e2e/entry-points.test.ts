/**
 * The production entry points as processes (src/api/server.ts and src/worker.ts, run by tsx), configured only
 * through the environment, against the run's dev server and Redis: a signed event in, a saved message out, and
 * a clean exit on SIGTERM with no secret in any log line.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { getFreePort, ManagedProcess, waitForPort } from '../../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { loadFixture } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { post } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import { connectToRedis } from '../helpers/temporal';

const SECRET = 'entry-point-secret-value';
let port: number;
let api: ManagedProcess;
let worker: ManagedProcess;
let connection: Connection;

function spawnEntry(label: string, file: string, env: NodeJS.ProcessEnv): ManagedProcess {
  return new ManagedProcess(label, process.execPath, ['--import', 'tsx', file], {
    cwd: PROJECT_ROOT,
    env,
    echo: false,
  });
}

beforeAll(async () => {
  port = await getFreePort();
  const env = {
    WORKER_METRICS_PORT: String(await getFreePort()),
    WORKER_SDK_METRICS_PORT: String(await getFreePort()),
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(port),
    WEBHOOK_SECRET: SECRET,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: uniqueId('tq'),
    REDIS_URL: inject('redisUrl'),
    LOG_LEVEL: 'debug',
  };
  api = spawnEntry('api', 'src/api/server.ts', env);
  worker = spawnEntry('worker', 'src/worker.ts', env);
  await waitForPort(port, '127.0.0.1', 30_000);
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await connection?.close();
});

describe('production entry points', () => {
  it('take a signed event to a saved message, then stop cleanly on SIGTERM without logging secrets', async () => {
    const session = uniqueId('s');
    const body = JSON.stringify(loadFixture('message-received', session));
    const res = await post(`http://127.0.0.1:${port}/webhooks/whatsapp`, body, signedHeaders(body, SECRET));
    expect(res.status).toBe(202);

    const client = new Client({ connection });
    await client.workflow.getHandle(res.body.workflowId ?? '').result();
    const redis = connectToRedis();
    expect(await redis.hget(`wa:msg:${session}:3EB0A1B2C3D4E5F6`, 'fromName')).toBe('John Doe');
    await redis.quit();
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    const logs = `${api.recentOutput()}\n${worker.recentOutput()}`;
    expect(api.recentOutput()).toContain('"outcome":"accepted"');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(signedHeaders(body, SECRET)['x-vesper-signature']);
  });
});
