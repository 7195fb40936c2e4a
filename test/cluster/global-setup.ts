/**
 * The cluster tier's set-up, before any test's clock starts: what `npm run cluster` needs (the Temporal server, its
 * SQL tool and the UI server built from Go, PostgreSQL and nginx from Debian, the temporal CLI) and tctl for the
 * runbook test. On a machine with nothing cached this is the Go builds' few minutes.
 */
import { provisionCluster } from '../../scripts/lib/cluster';
import { readComposeFile } from '../../scripts/lib/cluster/compose';
import { ensureTctl } from '../../scripts/lib/provision';

export default async function setup(): Promise<void> {
  const log = (line: string) => console.log(`[cluster-setup] ${line}`);
  const started = performance.now();
  const { binaries } = await provisionCluster(readComposeFile(process.env), log);
  await ensureTctl(log);
  log(
    binaries.builtMs > 0
      ? `provisioned in ${Math.round((performance.now() - started) / 1000)} s (Go builds ${Math.round(binaries.builtMs / 1000)} s)`
      : `provisioned in ${Math.round((performance.now() - started) / 1000)} s (cached builds)`,
  );
}
