/**
 * `npm run dlq -- list | show <id> | redrive | resubmit | discard` (see USAGE; --json for scripts, --wait to wait
 * for each new run). Dead letters live in Redis; every one has a way out:
 * - redrive: reset the failed run to its first workflow task (while Temporal still has it: the namespace's
 *   retention, 7 days); the new run resolves its dead letter when it succeeds;
 * - resubmit: a fresh run of the stored event under the same workflow ID, at any age; it resolves the letter when
 *   it succeeds (the run says it is a resubmission: resolution does not hang on run IDs);
 * - discard --reason: close it without a run (the event is kept for the data retention, then expires).
 */
import { parseArgs } from 'node:util';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { closeDeadLetter } from '../activities/dead-letters';
import { eventWorkflowOptions } from '../api/start-event';
import type { ProcessEventInput } from '../workflows/contracts';
import { getDeadLetter, listDeadLetters, type DeadLetter, type DeadLetterFilter } from './dead-letter-store';
import { parseSince, runCommand, type OpsContext } from './cli';
import { resetToFirstWorkflowTask } from './redrive';

const FILTERS = '[--type T] [--session S] [--step STEP] [--since 2h|ISO]';
const USAGE = [
  `usage: dlq list [--all] ${FILTERS} [--json]`,
  '       dlq show <workflowId>',
  `       dlq redrive  <workflowId> | --all ${FILTERS} [--wait] [--json]`,
  `       dlq resubmit <workflowId> | --all ${FILTERS} [--wait] [--json]`,
  `       dlq discard  <workflowId> | --all ${FILTERS} --reason "why" [--json]`,
].join('\n');

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    all: { type: 'boolean', default: false },
    type: { type: 'string' },
    session: { type: 'string' },
    step: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
    reason: { type: 'string' },
  },
});

type Outcome = { workflowId: string; runId?: string; result?: string };
type Action = (ctx: OpsContext, workflowId: string) => Promise<Outcome>;

runCommand(async (ctx) => {
  const [command, id] = positionals;
  const filter: DeadLetterFilter = {
    all: flags.all,
    type: flags.type,
    session: flags.session,
    step: flags.step,
    since: flags.since ? parseSince(flags.since) : undefined,
  };
  if (command === 'list') return list(await listDeadLetters(ctx.redis, filter));
  if (command === 'show' && id) return show(await getDeadLetter(ctx.redis, id));
  const action = actions[command ?? ''];
  const reasonMissing = command === 'discard' && !flags.reason?.trim();
  if (!action || (!id && !flags.all) || reasonMissing) {
    if (reasonMissing) console.error('dlq discard needs --reason "why": it is kept with the dead letter');
    console.error(USAGE);
    return 2;
  }
  const targets = id
    ? [id]
    : (await listDeadLetters(ctx.redis, { ...filter, all: false })).map((l) => l.workflowId);
  return each(ctx, command ?? '', targets, action);
});

const actions: Record<string, Action> = {
  async redrive(ctx, workflowId) {
    const runId = await resetToFirstWorkflowTask(
      ctx.client,
      workflowId,
      flags.reason ?? 'redrive via npm run dlq',
    );
    return { workflowId, runId, ...(flags.wait && { result: await outcome(ctx.client, workflowId, runId) }) };
  },
  async resubmit(ctx, workflowId) {
    const letter = await getDeadLetter(ctx.redis, workflowId);
    if (!letter) throw new Error('no such dead letter');
    if (letter.status !== 'open') throw new Error(`the dead letter is ${letter.status}`);
    const runId = await startFreshRun(ctx, letter);
    return { workflowId, runId, ...(flags.wait && { result: await outcome(ctx.client, workflowId, runId) }) };
  },
  async discard(ctx, workflowId) {
    const reason = flags.reason?.trim() ?? '';
    const closed = await closeDeadLetter(
      ctx.redis,
      workflowId,
      { status: 'discarded', reason },
      ctx.config.retention,
    );
    if (!closed) throw new Error('no open dead letter with this ID');
    return { workflowId, result: 'discarded' };
  },
};

/**
 * A new run of the stored event under its own workflow ID, allowed only when the event's latest run failed (or
 * is gone: past retention): never beside a running one, never after one that completed.
 */
async function startFreshRun(ctx: OpsContext, letter: DeadLetter): Promise<string> {
  const now = new Date().toISOString();
  const input: ProcessEventInput = {
    eventKey: letter.eventKey || letter.workflowId,
    event: letter.event,
    // accepted now, for the processing-time metrics; the letter keeps the first arrival
    receivedAt: now,
    resubmission: { deadLetterRunId: letter.runId, requestedAt: now },
  };
  try {
    const handle = await ctx.client.workflow.start('processWhatsappEvent', {
      ...eventWorkflowOptions(input, ctx.config.temporal.taskQueue),
      workflowId: letter.workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
    return handle.firstExecutionRunId;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new Error(
        'refused: the event has a run that is still open or completed (temporal workflow describe)',
      );
    throw err;
  }
}

async function each(
  ctx: OpsContext,
  command: string,
  workflowIds: string[],
  action: Action,
): Promise<number> {
  const done: Outcome[] = [];
  const failed: Array<{ workflowId: string; error: string }> = [];
  for (const [i, workflowId] of workflowIds.entries()) {
    const progress = `[${i + 1}/${workflowIds.length}] ${workflowId}`;
    try {
      const result = await action(ctx, workflowId);
      done.push(result);
      const run = result.runId ? ` new run ${result.runId}` : '';
      if (!flags.json) console.log(`${progress}:${run}${result.result ? ` ${result.result}` : ''}`);
    } catch (err) {
      failed.push({ workflowId, error: (err as Error).message });
      if (!flags.json) console.log(`${progress}: FAILED ${(err as Error).message}`);
    }
  }
  const verb = { redrive: 'redriven', resubmit: 'resubmitted', discard: 'discarded' }[command] ?? command;
  if (flags.json) console.log(JSON.stringify({ [verb]: done, failed }, null, 2));
  else console.log(`${verb} ${done.length}, failed ${failed.length}`);
  const unfinished = done.some((r) => r.result && r.result !== 'completed' && r.result !== 'discarded');
  return failed.length > 0 || unfinished ? 1 : 0;
}

function list(letters: DeadLetter[]): number {
  if (flags.json) {
    console.log(JSON.stringify(letters, null, 2));
    return 0;
  }
  if (letters.length === 0) {
    console.log('no dead letters');
    return 0;
  }
  console.log(['FAILED AT', 'STATUS', 'STEP', 'ATTEMPTS', 'WORKFLOW ID', 'ERROR'].join('\t'));
  for (const l of letters) {
    console.log([l.failedAt, l.status, l.step, l.attempts, l.workflowId, l.error.slice(0, 80)].join('\t'));
  }
  console.log(`${letters.length} dead letter(s)`);
  return 0;
}

function show(letter: DeadLetter | undefined): number {
  if (!letter) {
    console.error('no such dead letter');
    return 1;
  }
  console.log(JSON.stringify(letter, null, 2));
  return 0;
}

const WAIT_LIMIT_MS = 120_000;

/** How the new run ended, waiting at most WAIT_LIMIT_MS (with no worker polling, it would never end). */
async function outcome(client: Client, workflowId: string, runId: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still running after ${WAIT_LIMIT_MS / 1000}s`), WAIT_LIMIT_MS);
  });
  const result = client.workflow
    .getHandle(workflowId, runId)
    .result()
    .then(
      () => 'completed',
      () => 'failed again',
    );
  try {
    return await Promise.race([result, limit]);
  } finally {
    clearTimeout(timer);
  }
}
