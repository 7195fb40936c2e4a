/** `npm run dlq`: list, show and redrive dead letters made by real failed runs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/ops/dead-letter-store';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/lib/provision';
import { run } from '../../scripts/lib/run';
import { npmRun } from '../helpers/cli';
import { until } from '../helpers/wait';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { redisKeys } from '../../src/redis-keys';

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

/** The resubmitted run goes to this pipeline's worker. */
const queue = () => ({ TEMPORAL_TASK_QUEUE: p.worker.options.taskQueue });

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

  it('resubmit: a fresh run of the stored event, even after the failed run is gone; its success resolves the letter', async () => {
    const workflowId = await deadLetter(uniqueId('s'), 'M1');
    const failedRun = (await p.env.client.workflow.getHandle(workflowId).describe()).runId;
    // Temporal forgets the run (as retention would after 7 days): a reset is impossible now
    const temporal = await ensureTemporalCli();
    const deleted = await run(temporal.path, [
      ...['workflow', 'delete', '-w', workflowId, '--yes', '--address', inject('temporalAddress')],
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
    // the dev server deletes in the background (about 30 s here)
    await until(
      'the run to be gone',
      () =>
        p.env.client.workflow
          .getHandle(workflowId)
          .describe()
          .then(
            () => false,
            () => true,
          ),
      90_000,
    );
    expect((await npmRun('dlq', ['redrive', workflowId])).code).toBe(1);

    const res = await npmRun('dlq', ['resubmit', workflowId, '--wait'], queue());
    expect(res.code, res.stderr + res.stdout).toBe(0);
    expect(res.stdout).toMatch(/\[1\/1\] .*: new run \S+ completed/);
    expect(res.stdout).toContain('resubmitted 1, failed 0');

    const fresh = await p.env.client.workflow.getHandle(workflowId).describe();
    expect(fresh.status.name).toBe('COMPLETED');
    // a fresh run: its run ID is its own first, so resolution cannot rest on run IDs differing
    expect(fresh.raw.workflowExecutionInfo?.firstRunId).toBe(fresh.runId);
    expect(fresh.runId).not.toBe(failedRun);
    expect(await p.redis.hgetall(redisKeys.deadLetter(workflowId))).toMatchObject({
      status: 'resolved',
      resolvedByRunId: fresh.runId,
    });
    // a closed letter keeps its event for the data retention only
    expect(await p.redis.ttl(redisKeys.deadLetter(workflowId))).toBeGreaterThan(0);
    // nothing left to resubmit; and a completed event is never run again
    expect((await npmRun('dlq', ['resubmit', workflowId], queue())).stdout).toContain(
      'the dead letter is resolved',
    );
  }, 150_000);

  it('resubmit while the failed run is still within retention starts a fresh run beside it in the same ID', async () => {
    const workflowId = await deadLetter(uniqueId('s'), 'M1');
    const res = await npmRun(
      'dlq',
      ['resubmit', '--all', '--step', 'sendAutoReply', '--since', '1m', '--wait', '--json'],
      queue(),
    );
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout) as { resubmitted: Array<{ workflowId: string; result: string }> };
    expect(summary.resubmitted).toContainEqual(expect.objectContaining({ workflowId, result: 'completed' }));
    expect(await p.redis.hget(redisKeys.deadLetter(workflowId), 'status')).toBe('resolved');
  });

  it('discard needs a reason; it closes the letter, keeps why, and lets it expire', async () => {
    const workflowId = await deadLetter(uniqueId('s'), 'M1');
    const bare = await npmRun('dlq', ['discard', workflowId]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--reason');
    expect(await p.redis.hget(redisKeys.deadLetter(workflowId), 'status')).toBe('open');

    const res = await npmRun('dlq', [
      'discard',
      workflowId,
      '--reason',
      'customer wrote again; answered by hand',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('discarded 1, failed 0');
    expect(await p.redis.hgetall(redisKeys.deadLetter(workflowId))).toMatchObject({
      status: 'discarded',
      discardReason: 'customer wrote again; answered by hand',
    });
    expect(await p.redis.zscore(redisKeys.deadLettersOpen, workflowId)).toBeNull();
    const ttl = await p.redis.ttl(redisKeys.deadLetter(workflowId));
    expect(ttl).toBeGreaterThan(29 * 86_400);
    expect(ttl).toBeLessThanOrEqual(30 * 86_400);
    expect((await listJson()).some((l) => l.workflowId === workflowId)).toBe(false);
    expect((await listJson('--all')).find((l) => l.workflowId === workflowId)).toMatchObject({
      status: 'discarded',
    });
    const again = await npmRun('dlq', ['discard', workflowId, '--reason', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('no open dead letter with this ID');
  });

  it('explains its usage and exits 2 on a wrong call', async () => {
    const res = await npmRun('dlq', ['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('usage: dlq list');
  });
});
