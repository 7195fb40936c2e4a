/**
 * `npm start`: the whole dev stack on embedded defaults. Temporal dev server (SQLite in .data/, Web UI on :8233,
 * our search attributes, 7-day retention) and Redis (AOF in .data/) unless TEMPORAL_ADDRESS / REDIS_URL point
 * elsewhere; then the worker and the receiver. Ctrl-C stops everything it started.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree, ManagedProcess } from './lib/managed-process';
import { DATA_DIR, PROJECT_ROOT } from './lib/paths';
import { ensureTemporalCli } from './lib/provision';
import { ensureRedisServer } from './lib/redis-server';
import { setRetention, startRedisServer, startTemporalDevServer } from './lib/services';
import { DEV_WEBHOOK_SECRET } from '../src/config';

const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;
const REDIS_PORT = 6390;

const log = (line: string) => console.log(`[stack] ${line}`);
const running: ManagedProcess[] = [];
let stopping = false;

async function stopAll(exitCode: number): Promise<never> {
  stopping = true;
  for (const proc of [...running].reverse()) await proc.stop();
  process.exit(exitCode);
}

function supervise(proc: ManagedProcess): void {
  running.push(proc);
  void proc.exited.then((code) => {
    if (stopping) return;
    log(`${proc.label} exited with code ${String(code)}; stopping the stack`);
    void stopAll(1);
  });
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  if (existsSync(path.join(PROJECT_ROOT, '.env'))) process.loadEnvFile(path.join(PROJECT_ROOT, '.env'));
  const env = { ...process.env };

  if (!env.TEMPORAL_ADDRESS) {
    const temporal = await ensureTemporalCli(log);
    const hint = 'Stop the other server, or set TEMPORAL_ADDRESS to use it.';
    await assertPortFree(TEMPORAL_PORT, 'Temporal gRPC', hint);
    await assertPortFree(UI_PORT, 'Temporal Web UI', hint);
    const server = await startTemporalDevServer({
      binary: temporal.path,
      port: TEMPORAL_PORT,
      uiPort: UI_PORT,
      dbFile: path.join(DATA_DIR, 'temporal.db'),
    });
    supervise(server.process);
    await setRetention(temporal.path, server.address);
    env.TEMPORAL_ADDRESS = server.address;
  }
  if (!env.REDIS_URL) {
    const binary = await ensureRedisServer(log);
    await assertPortFree(REDIS_PORT, 'Redis', 'Stop the other Redis, or set REDIS_URL to use it.');
    const redis = await startRedisServer({ binary, port: REDIS_PORT, dataDir: path.join(DATA_DIR, 'redis') });
    supervise(redis.process);
    env.REDIS_URL = redis.address;
  }
  env.WEBHOOK_SECRET ??= DEV_WEBHOOK_SECRET;

  const tsx = ['--import', 'tsx'];
  supervise(
    new ManagedProcess('worker', process.execPath, [...tsx, 'src/worker.ts'], { cwd: PROJECT_ROOT, env }),
  );
  supervise(
    new ManagedProcess('api', process.execPath, [...tsx, 'src/api/server.ts'], { cwd: PROJECT_ROOT, env }),
  );

  const port = env.PORT ?? '3000';
  log(
    `Temporal ${env.TEMPORAL_ADDRESS}${running[0]?.label === 'temporal' ? `, Web UI http://localhost:${UI_PORT}` : ''}`,
  );
  log(`Redis ${env.REDIS_URL}`);
  log(
    `receiver http://localhost:${port}${env.WEBHOOK_PATH ?? '/webhooks/whatsapp'} (Ctrl-C stops everything)`,
  );
}

main().catch(async (err: unknown) => {
  console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
  await stopAll(1);
});
