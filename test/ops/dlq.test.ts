/** `npm run dlq`: list, show and redrive dead letters made by real failed runs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/ops/dead-letter-store';
import { npmRun } from '../helpers/cli';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { redisKeys } from '../../src/activities/redis-keys';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p?.close());

/** Runs the message through a Vesper that refuses it: a dead letter. */
async function deadLetter(session: string, id: string): Promise<string> {
  p.vesper.replyNext({ status: 422, body: { error: 'number not on WhatsApp' } });
  const handle = await p.start(receivedMessage(session, id));
  await handle.result().catch(() => undefined);
  return handle.workflowId;
}

async function listJson(...args: string[]): Promise<DeadLetter[]> {
  const res = await npmRun('dlq', ['list', '--json', ...args]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as DeadLetter[];
}

describe('npm run dlq', () => {
  it('lists and shows a dead letter; redrive completes it and it shows resolved', async () => {
    const workflowId = await deadLetter(uniqueId('s'), 'M1');
    const listed = (await listJson()).find((l) => l.workflowId === workflowId);
    expect(listed).toMatchObject({
      status: 'open',
      step: 'sendAutoReply',
      errorType: 'VesperRejected',
      attempts: 1,
    });

    const table = await npmRun('dlq', ['list']);
    expect(table.stdout).toContain(workflowId);
    const shown = await npmRun('dlq', ['show', workflowId]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ workflowId, event: { type: 'message.received' } });

    const redrive = await npmRun('dlq', ['redrive', workflowId, '--wait']);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(/\[1\/1\] .*: new run \S+ completed/);
    expect(redrive.stdout).toContain('redriven 1, failed 0');

    expect((await listJson()).some((l) => l.workflowId === workflowId)).toBe(false);
    expect((await listJson('--all')).find((l) => l.workflowId === workflowId)).toMatchObject({
      status: 'resolved',
    });
  });

  it('redrives every open dead letter of a type and session since a time, with progress, a summary and --json', async () => {
    const session = uniqueId('s');
    const ids = [await deadLetter(session, 'A'), await deadLetter(session, 'B')];
    const elsewhere = await deadLetter(uniqueId('other'), 'C');
    const res = await npmRun('dlq', [
      'redrive',
      '--all',
      '--type',
      'message.received',
      '--session',
      session,
      '--since',
      '10m',
      '--wait',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout) as {
      redriven: Array<{ workflowId: string; result: string }>;
      failed: unknown[];
    };
    expect(summary.failed).toEqual([]);
    for (const id of ids)
      expect(summary.redriven).toContainEqual(
        expect.objectContaining({ workflowId: id, result: 'completed' }),
      );
    for (const id of ids) expect(await p.redis.hget(redisKeys.deadLetter(id), 'status')).toBe('resolved');
    // another session's dead letter is left alone
    expect(summary.redriven.map((r) => r.workflowId)).not.toContain(elsewhere);
    expect(await p.redis.hget(redisKeys.deadLetter(elsewhere), 'status')).toBe('open');
    expect((await npmRun('dlq', ['redrive', elsewhere, '--wait'])).code).toBe(0);
  });

  it('explains its usage and exits 2 on a wrong call', async () => {
    const res = await npmRun('dlq', ['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('usage: dlq list');
  });
});
