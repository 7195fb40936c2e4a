/**
 * CI's dependency audit. What ships in the image (production dependencies) fails at `high`; everything, the
 * dev tools CI runs included, fails at `critical`. When the registry cannot answer audits at all (a mirror
 * refusing the endpoint, no network), each run says NOT CHECKED on a line of its own and the step passes, so CI
 * neither passes silently nor fails for a reason outside the project; AUDIT_REQUIRED=1 makes that a failure.
 */
import { classifyAudit, type Severity } from './lib/audit';
import { run } from './lib/run';

const RUNS: Array<{ scope: string; args: string[]; level: Severity }> = [
  { scope: 'production dependencies', args: ['--omit=dev'], level: 'high' },
  { scope: 'all dependencies', args: [], level: 'critical' },
];

async function main(): Promise<number> {
  const required = process.env.AUDIT_REQUIRED === '1';
  let failed = false;
  for (const { scope, args, level } of RUNS) {
    const { stdout } = await run('npm', ['audit', '--json', ...args]);
    const verdict = classifyAudit(stdout, level);
    const what = `npm audit (${scope}, fails at ${level})`;
    if (verdict.kind === 'clean') console.log(`[audit] ${what}: OK ${JSON.stringify(verdict.counts)}`);
    if (verdict.kind === 'vulnerable') {
      console.log(
        `[audit] ${what}: FAILED ${JSON.stringify(verdict.counts)}: ${verdict.packages.join(', ')}`,
      );
      failed = true;
    }
    if (verdict.kind === 'unavailable') {
      console.log(`[audit] ${what}: NOT CHECKED, the registry did not answer the audit: ${verdict.reason}`);
      failed ||= required;
    }
    if (verdict.kind === 'error') {
      console.log(`[audit] ${what}: ERROR ${verdict.reason}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[audit] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
