/**
 * `npm run chaos`: a Vesper-like load against the receiver and worker (from dist/) while the worker is killed,
 * Temporal and Redis restart and Vesper answers 500; then every event is checked. Loopback only, bounded in count
 * and time. Prints a table, writes chaos/results/<date>-<seed>.json, exits 1 if anything was lost or doubled.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../scripts/lib/paths';
import { run } from '../scripts/lib/run';
import { chaosOptionsFromEnv } from './lib/options';
import { formatTable, writeResult } from './lib/report';
import { runChaos } from './lib/run-chaos';

async function main(): Promise<number> {
  const log = (line: string) => console.log(`[chaos] ${line}`);
  const options = chaosOptionsFromEnv(process.env);
  log(`seed ${options.seed} (repeat with CHAOS_SEED=${options.seed})`);
  log('building dist/ (tsc) so the receiver and worker run as in production');
  const build = await run('npm', ['run', '-s', 'build'], { cwd: PROJECT_ROOT });
  if (build.code !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  const result = await runChaos(options, log);
  console.log(`\n${formatTable(result)}\n`);
  const file = await writeResult(result, path.join(PROJECT_ROOT, 'chaos', 'results'));
  log(`result written to ${path.relative(PROJECT_ROOT, file)}`);
  return result.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
