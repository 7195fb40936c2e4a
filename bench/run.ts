/**
 * `npm run bench`: the systems of bench/lib/systems.ts measured in one run on this machine, loopback only, bounded
 * in count and time: (a) ceiling: verify + parse + 200; (b) the seed guide's Express + BullMQ design; (c) the
 * floor: an empty workflow per event on the dev server; (d–f) this project on the dev server. Prints a table, with
 * ours set against the floor and the seed, and writes bench/results/<date>.json.
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import { getFreePort } from '../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../scripts/lib/paths';
import { ensureTemporalCli } from '../scripts/lib/provision';
import { ensureRedisServer } from '../scripts/lib/redis-server';
import { run } from '../scripts/lib/run';
import { startRedisServer } from '../scripts/lib/services';
import { StandIn } from '../support/stand-in';
import { measure, type SystemResult } from './lib/measure';
import { BENCH_SECRET, benchOptionsFromEnv } from './lib/options';
import { formatTable, writeResults } from './lib/report';
import { benchSystems } from './lib/systems';

async function main(): Promise<void> {
  const log = (line: string) => console.log(`[bench] ${line}`);
  const options = benchOptionsFromEnv(process.env);
  const temporalBinary = (await ensureTemporalCli(log)).path;
  const redisBinary = await ensureRedisServer(log);
  log('building dist/ (tsc) so our processes run as in production');
  const build = await run('npm', ['run', '-s', 'build'], { cwd: PROJECT_ROOT });
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
  const redisServer = await startRedisServer({ binary: redisBinary, port: await getFreePort(), echo: false });
  // one round trip per batch of effect probes: the polling shares the 2 cores with the systems measured
  const redis = new Redis(redisServer.address, { enableAutoPipelining: true });
  const vesper = await StandIn.start();
  const common = {
    WEBHOOK_SECRET: BENCH_SECRET,
    REDIS_URL: redisServer.address,
    VESPER_API_URL: vesper.url,
    LOG_LEVEL: 'warn',
  };
  const systems = benchSystems({ options, temporalBinary, common, log });
  const results: SystemResult[] = [];
  try {
    // installs (the seed peer's dependencies) before any measuring, so a failed one loses no results
    for (const system of systems) await system.prepare?.();
    for (const system of systems) {
      log(
        `measuring ${system.name}: ${options.events} events closed loop ×${options.concurrency}, then open loops at ${options.openRates.map((r) => (typeof r === 'number' ? `${r} ev/s` : `${r} its closed-loop rate`)).join(' and ')} for ${options.openSeconds} s, refusals retried`,
      );
      const redisPid = redisServer.process.child.pid ?? 0;
      results.push(await measure(system, { options, redis, redisPid, vesper }));
    }
  } finally {
    redis.disconnect();
    await vesper.close();
    await redisServer.process.stop();
  }
  console.log(formatTable(results, options.openRates));
  const file = writeResults(results, options, path.join(PROJECT_ROOT, 'bench', 'results'));
  log(`results written to ${path.relative(PROJECT_ROOT, file)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
