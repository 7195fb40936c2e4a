/**
 * `npm run replay -- <history.json | workflowId> [--run-id R]`: replays a recorded history against the current
 * workflow code and exits non-zero on a nondeterminism error. The file may come from
 * `temporal workflow show -w <id> --output json` or the Web UI's download.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { runCommand } from './cli';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'run-id': { type: 'string' } },
});

// the bundler's INFO lines are noise here; what matters is the verdict below
Runtime.install({ logger: new DefaultLogger('WARN') });

runCommand(async ({ client }) => {
  const [source] = positionals;
  if (!source) {
    console.error('usage: replay <history.json | workflowId> [--run-id R]');
    return 2;
  }
  const fromFile = existsSync(source);
  const history = fromFile
    ? historyFromJSON(JSON.parse(readFileSync(source, 'utf8')))
    : await client.workflow.getHandle(source, flags['run-id']).fetchHistory();
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../workflows') }, history, source);
  console.log(
    `replayed ${history.events?.length ?? 0} events of ${source} against the current workflow code: OK`,
  );
  return 0;
});
