/**
 * The worker's start-time check of the search attributes, against the run's dev server: a namespace of one's own,
 * created without them (as a server not set up by our jobs), is reported by the processing worker at start with the
 * commands that fix it, and those commands, run as printed, do.
 */
import { Writable } from 'node:stream';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadWorkerConfig } from '../../src/config';
import { createProcessingWorker } from '../../src/processing-worker';
import { checkSearchAttributes, findSearchAttributeProblems } from '../../src/search-attribute-check';
import { npmRun } from '../helpers/cli';
import { uniqueId } from '../helpers/ids';
import { connectToDevServer } from '../helpers/temporal';

const { IndexedValueType } = temporal.api.enums.v1;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectToDevServer();
});
afterAll(async () => {
  await env?.teardown();
});

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe("the worker's search attribute check", () => {
  it('finds nothing wrong where the dev stack registered them', async () => {
    const { logger, lines } = capturingLogger();
    const findings = await checkSearchAttributes(env.nativeConnection, 'default', logger);
    expect(findings).toEqual({ missing: [], wrongType: [] });
    expect(lines).toEqual([]);
  });

  it('names the missing and mistyped ones with the commands that register them, and the commands work', async () => {
    const namespace = uniqueId('sa-check');
    const created = await npmRun('temporal', ['operator', 'namespace', 'create', '-n', namespace]);
    expect(created.code, created.stderr).toBe(0);
    // one registered with the wrong type, as a hand-made setup might
    await eventually(() =>
      env.connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { SessionStatus: IndexedValueType.INDEXED_VALUE_TYPE_TEXT },
      }),
    );

    const { logger, lines } = capturingLogger();
    const findings = await eventually(async () => {
      const found = await checkSearchAttributes(env.nativeConnection, namespace, logger);
      if (!found) throw new Error('no answer');
      return found;
    });
    expect(findings.missing.sort()).toEqual(['DeadLettered', 'EventType', 'FailedStep', 'SessionId']);
    expect(findings.wrongType).toEqual(['SessionStatus (Keyword, registered as Text)']);
    const error = lines.find((l) => l.level === 50);
    expect(error?.msg).toMatch(/search attributes missing or mistyped/);
    const fix = error?.fix as string[];
    expect(fix).toHaveLength(4);
    expect(fix).toContain(
      `temporal operator search-attribute create --namespace ${namespace} --name DeadLettered --type Bool`,
    );

    // the processing worker (src/worker.ts's) says the same at start, and runs
    const started = capturingLogger();
    const worker = await createProcessingWorker({
      config: loadWorkerConfig({
        REDIS_URL: inject('redisUrl'),
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TASK_QUEUE: uniqueId('tq'),
        WORKER_METRICS_PORT: '0',
        TREND_CHECK_INTERVAL_SECONDS: '3600',
      }),
      connection: env.nativeConnection,
      logger: started.logger,
      workflowBundlePath: inject('workflowBundlePath'),
    });
    const running = worker.run();
    try {
      await eventually(async () => {
        const error = started.lines.find((l) => l.level === 50);
        if (!error) throw new Error('not logged yet');
        expect(error.fix).toEqual(fix);
      });
      expect(worker.worker.getState()).toBe('RUNNING');
    } finally {
      worker.shutdown();
      await running;
    }

    // an operator pastes them
    for (const command of fix) {
      const [tool, ...args] = command.split(' ');
      expect(tool).toBe('temporal');
      const result = await npmRun('temporal', args);
      expect(result.code, result.stderr).toBe(0);
    }
    const after = await eventually(async () => {
      const found = await findSearchAttributeProblems(env.nativeConnection, namespace);
      if (found.missing.length > 0) throw new Error(`still missing: ${found.missing.join(', ')}`);
      return found;
    });
    expect(after).toEqual({ missing: [], wrongType: ['SessionStatus (Keyword, registered as Text)'] });
  }, 120_000);

  it('warns, and does not throw, when it cannot list them (a namespace that does not exist)', async () => {
    const { logger, lines } = capturingLogger();
    const findings = await checkSearchAttributes(env.nativeConnection, uniqueId('no-such-namespace'), logger);
    expect(findings).toBeUndefined();
    expect(lines.map((l) => l.msg)).toEqual(['could not check the search attributes']);
  });
});
