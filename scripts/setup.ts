/** `npm run setup`: provisions temporal, tctl and redis-server; idempotent and quick when already done. */
import { ensureTctl, ensureTemporalCli } from './lib/provision';
import { ensureRedisServer } from './lib/redis-server';

const log = (line: string) => console.log(`[setup] ${line}`);

async function main(): Promise<void> {
  const started = Date.now();
  const temporal = await ensureTemporalCli(log);
  log(`temporal -> ${temporal.path} (${temporal.route})`);
  try {
    const tctl = await ensureTctl(log);
    log(`tctl     -> ${tctl.path} (${tctl.route})`);
  } catch (err) {
    // tctl is optional: the temporal CLI covers every operator task; say why it is missing and go on.
    log(`tctl is not available: ${(err as Error).message}`);
  }
  log(`redis-server -> ${await ensureRedisServer(log)}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`[setup] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
