/** `npm run temporal -- …` / `npm run tctl -- …`: the provisioned binary, pointed at the stack's Temporal. */
import { spawnSync } from 'node:child_process';
import { ensureTctl, ensureTemporalCli } from './lib/provision';

async function main(): Promise<void> {
  const [tool, ...args] = process.argv.slice(2);
  if (tool !== 'temporal' && tool !== 'tctl') throw new Error('usage: run-tool.ts temporal|tctl [args…]');
  const log = (line: string) => console.error(`[${tool}] ${line}`);
  const provisioned = tool === 'temporal' ? await ensureTemporalCli(log) : await ensureTctl(log);
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  // the temporal CLI reads TEMPORAL_ADDRESS itself; tctl reads TEMPORAL_CLI_ADDRESS
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_CLI_ADDRESS: process.env.TEMPORAL_CLI_ADDRESS ?? address,
  };
  const result = spawnSync(provisioned.path, args, { stdio: 'inherit', env });
  process.exit(result.status ?? 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
