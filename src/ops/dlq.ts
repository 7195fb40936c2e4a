/**
 * `npm run dlq -- list | show <id> | redrive <id> | redrive --all [--type T] [--session S] [--since T]`
 * (add --json for scripts, --wait to wait for each redriven run).
 * Dead letters live in Redis; a redrive resets the workflow to its first workflow task, and the new run marks its
 * dead letter resolved when it succeeds.
 */
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { getDeadLetter, listDeadLetters, type DeadLetter } from './dead-letter-store';
import { parseSince, runCommand, type OpsContext } from './cli';
import { resetToFirstWorkflowTask } from './redrive';

const USAGE = [
  'usage: dlq list [--all] [--type T] [--session S] [--since 2h|ISO] [--json]',
  '       dlq show <workflowId>',
  '       dlq redrive <workflowId> | --all [--type T] [--session S] [--since T] [--wait] [--json]',
].join('\n');

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    all: { type: 'boolean', default: false },
    type: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
    reason: { type: 'string', default: 'redrive via npm run dlq' },
  },
});

runCommand(async (ctx) => {
  const [command, id] = positionals;
  const filter = {
    all: flags.all,
    type: flags.type,
    session: flags.session,
    since: flags.since ? parseSince(flags.since) : undefined,
  };
  if (command === 'list') return list(await listDeadLetters(ctx.redis, filter));
  if (command === 'show' && id) return show(await getDeadLetter(ctx.redis, id));
  if (command === 'redrive' && (id || flags.all)) {
    const targets = id
      ? [id]
      : (await listDeadLetters(ctx.redis, { ...filter, all: false })).map((l) => l.workflowId);
    return redrive(ctx, targets);
  }
  console.error(USAGE);
  return 2;
});

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

async function redrive(ctx: OpsContext, workflowIds: string[]): Promise<number> {
  const redriven: Array<{ workflowId: string; runId: string; result?: string }> = [];
  const failed: Array<{ workflowId: string; error: string }> = [];
  for (const [i, workflowId] of workflowIds.entries()) {
    const progress = `[${i + 1}/${workflowIds.length}] ${workflowId}`;
    try {
      const runId = await resetToFirstWorkflowTask(ctx.client, workflowId, flags.reason);
      const result = flags.wait ? await outcome(ctx.client, workflowId, runId) : undefined;
      redriven.push({ workflowId, runId, ...(result ? { result } : {}) });
      if (!flags.json) console.log(`${progress}: new run ${runId}${result ? ` ${result}` : ''}`);
    } catch (err) {
      failed.push({ workflowId, error: (err as Error).message });
      if (!flags.json) console.log(`${progress}: FAILED ${(err as Error).message}`);
    }
  }
  if (flags.json) console.log(JSON.stringify({ redriven, failed }, null, 2));
  else console.log(`redriven ${redriven.length}, failed ${failed.length}`);
  return failed.length > 0 || redriven.some((r) => r.result && r.result !== 'completed') ? 1 : 0;
}

const WAIT_LIMIT_MS = 120_000;

/** How the redriven run ended, waiting at most WAIT_LIMIT_MS (with no worker polling, it would never end). */
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
