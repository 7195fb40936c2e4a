/**
 * Once per `npm test`: provision the temporal CLI, tctl and redis-server (as `npm run setup` does; on a machine
 * with nothing cached, tctl's Go build takes minutes, so it happens here, before any test's clock starts), start
 * ONE headless dev server and ONE throwaway Redis on free loopback ports, and bundle the workflows once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { getFreePort } from '../scripts/lib/managed-process';
import { ensureTctl, ensureTemporalCli } from '../scripts/lib/provision';
import { ensureRedisServer } from '../scripts/lib/redis-server';
import { startRedisServer, startTemporalDevServer } from '../scripts/lib/services';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    redisUrl: string;
    workflowBundlePath: string;
  }
}

const log = (line: string) => console.log(`[test-setup] ${line}`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const temporal = await ensureTemporalCli(log);
  const tctl = await ensureTctl(log);
  log(`tctl ${tctl.path} (${tctl.route})`);
  const redisBinary = await ensureRedisServer(log);
  const [temporalPort, redisPort] = [await getFreePort(), await getFreePort()];
  const [server, redis] = await Promise.all([
    startTemporalDevServer({ binary: temporal.path, port: temporalPort, echo: false }),
    startRedisServer({ binary: redisBinary, port: redisPort, echo: false }),
  ]);
  const work = mkdtempSync(path.join(os.tmpdir(), 'vesper-test-'));
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', 'src', 'workflows', 'index.ts'),
    logger: { trace() {}, debug() {}, info() {}, warn: (m) => log(m), error: (m) => log(m), log() {} },
  });
  const workflowBundlePath = path.join(work, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);
  log(
    `real Temporal dev server (${temporal.route}) at ${server.address}; real redis-server at ${redis.address}`,
  );

  project.provide('temporalAddress', server.address);
  project.provide('redisUrl', redis.address);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await Promise.all([server.process.stop(), redis.process.stop()]);
    rmSync(work, { recursive: true, force: true });
  };
}
