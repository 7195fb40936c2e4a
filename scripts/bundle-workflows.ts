/**
 * Part of `npm run build`: bundles the compiled workflows (dist/workflows) once, into dist/workflow-bundle.js, so
 * a worker started from dist/ loads it instead of running webpack at every start (see src/processing-worker.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const DIST = path.resolve(__dirname, '..', 'dist');

async function main(): Promise<void> {
  const started = performance.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(DIST, 'workflows', 'index.js'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const file = path.join(DIST, 'workflow-bundle.js');
  writeFileSync(file, code);
  const kib = Math.round(Buffer.byteLength(code) / 1024);
  console.log(
    `workflow bundle: ${path.relative(process.cwd(), file)} (${kib} KiB, ${Math.round(performance.now() - started)} ms)`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
