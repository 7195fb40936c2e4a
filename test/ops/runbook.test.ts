/**
 * The README's operator runbook, executed as written (`npm run temporal|tctl|replay -- …`) against the dev server:
 * find failed runs, reset one, reset many by query, download and replay a history, and the tctl equivalents.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTctl } from '../../scripts/lib/provision';
import { redisKeys } from '../../src/redis-keys';
import { npmRun } from '../helpers/cli';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { startPipeline, type Pipeline } from '../helpers/pipeline';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p?.close());

/** Dead-letters `count` messages of a fresh session (Vesper refuses each once) and returns their workflow IDs. */
async function failedRuns(session: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    p.vesper.replyNext({ status: 400, body: { error: 'refused' } });
    const handle = await p.start(receivedMessage(session, `M${i}`, `90555000${1000 + i}@s.whatsapp.net`));
    await handle.result().catch(() => undefined);
    ids.push(handle.workflowId);
  }
  return ids;
}

/** Waits until each workflow's latest run has completed (a reset's new run starts at once but runs async). */
async function expectCompleted(ids: string[]): Promise<void> {
  for (const id of ids) {
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await p.env.client.workflow.getHandle(id).describe()).status.name;
      if (status === 'COMPLETED') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status, id).toBe('COMPLETED');
    expect(await p.redis.hget(redisKeys.deadLetter(id), 'status')).toBe('resolved');
  }
}

async function ok(script: string, args: string[]): Promise<string> {
  const res = await npmRun(script, args);
  expect(res.code, `${script} ${args.join(' ')}\n${res.stderr}`).toBe(0);
  return res.stdout;
}

describe('operator runbook (README)', () => {
  it('lists dead-lettered runs and resets one to its first workflow task', async () => {
    const session = uniqueId('s');
    const [id = ''] = await failedRuns(session, 1);
    const listed = await ok('temporal', [
      'workflow',
      'list',
      '--query',
      `DeadLettered=true AND SessionId="${session}"`,
    ]);
    expect(listed).toContain(id);
    await ok('temporal', [
      'workflow',
      'reset',
      '-w',
      id,
      '-t',
      'FirstWorkflowTask',
      '--reason',
      'redrive after fix',
    ]);
    await expectCompleted([id]);
  });

  it('resets every failed run matching a query', async () => {
    const session = uniqueId('s');
    const ids = await failedRuns(session, 2);
    const query = `ExecutionStatus="Failed" AND SessionId="${session}"`;
    await ok('temporal', [
      'workflow',
      'reset',
      '--query',
      query,
      '-t',
      'FirstWorkflowTask',
      '--reason',
      'redrive after fix',
      '--yes',
    ]);
    await expectCompleted(ids);
  });

  it('downloads a history and replays it against the current code, from a file and by workflow ID', async () => {
    const handle = await p.start(receivedMessage(uniqueId('s'), 'M1'));
    await handle.result();
    const history = await ok('temporal', ['workflow', 'show', '-w', handle.workflowId, '--output', 'json']);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'runbook-')), 'history.json');
    writeFileSync(file, history);
    expect(await ok('replay', [file])).toMatch(
      /replayed \d+ events of .*history\.json against the current workflow code: OK/,
    );
    expect(await ok('replay', [handle.workflowId])).toContain('OK');
  });

  it('does the same with tctl: reset and reset-batch', async () => {
    // global-setup.ts provisioned it before any test's clock started; a machine that cannot fails here
    await ensureTctl();
    const session = uniqueId('s');
    const [one = '', ...many] = await failedRuns(session, 3);
    await ok('tctl', [
      'workflow',
      'reset',
      '--workflow_id',
      one,
      '--reset_type',
      'FirstWorkflowTask',
      '--reason',
      'redrive after fix',
    ]);
    await expectCompleted([one]);
    const query = `ExecutionStatus="Failed" AND SessionId="${session}"`;
    await ok('tctl', [
      'workflow',
      'reset-batch',
      '--query',
      query,
      '--reset_type',
      'FirstWorkflowTask',
      '--reason',
      'redrive after fix',
    ]);
    await expectCompleted(many);
  });
});
