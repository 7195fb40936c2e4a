/**
 * `npm run cluster`: the production topology of docker-compose.yml on this host, without Docker (see
 * scripts/lib/cluster/). The first run builds the Temporal server, its SQL tool and the Web UI server from their
 * Go modules (cached outside the repo) and creates the databases; later runs reuse both. Ctrl-C stops everything.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './lib/paths';
import { startCluster, type RunningCluster } from './lib/cluster';
import { ManagedProcess } from './lib/managed-process';

const log = (line: string) => console.log(`[cluster] ${line}`);

async function main(): Promise<void> {
  const started = performance.now();
  if (existsSync(path.join(PROJECT_ROOT, '.env'))) process.loadEnvFile(path.join(PROJECT_ROOT, '.env'));
  const state: { cluster?: RunningCluster } = {};
  let stopping = false;
  const starting = new AbortController();
  // the processes run in groups of their own (a stop must not kill half of them): whatever happens to this one,
  // they go with it
  process.on('exit', () => ManagedProcess.killAll());
  const stop = async (code: number) => {
    if (stopping) {
      log('stopping now (SIGKILL)');
      ManagedProcess.killAll();
      process.exit(1);
    }
    stopping = true;
    log('stopping ... (again to stop at once)');
    // still starting: startCluster stops what it started, then rejects
    if (!state.cluster) return starting.abort();
    await state.cluster.stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  const cluster = await startCluster({ log, echo: true, signal: starting.signal });
  state.cluster = cluster;
  // the compose file's restart policies start a process that exits again (the cluster logs it); one it leaves down
  // (`restart: 'no'`) stops the whole run rather than leave half a topology
  cluster.onUnplannedExit((exit) => {
    if (stopping || exit.restartInMs !== undefined) return;
    log(`${exit.label} exited with code ${String(exit.code)}; stopping the cluster`);
    void stop(1);
  });
  const { binaries } = cluster;
  log(
    binaries.builtMs > 0
      ? `built the Temporal server, SQL tool and Web UI server in ${Math.round(binaries.builtMs / 1000)} s (cached for later runs)`
      : 'Temporal server, SQL tool and Web UI server: cached builds',
  );
  log(`up in ${Math.round((performance.now() - started) / 1000)} s:`);
  log(`  webhooks   POST ${cluster.webhookUrl}  (nginx -> api-1, api-2)`);
  log(`  Temporal   ${cluster.temporalAddress}  (frontend; history, matching, worker roles on PostgreSQL)`);
  log(`  Web UI     ${cluster.uiUrl}`);
  log(`  Redis      ${cluster.redisUrl}`);
  log('send one: npm run send-test-event -- --url ' + cluster.webhookUrl + ' (Ctrl-C stops everything)');
}

main().catch((err: unknown) => {
  console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
