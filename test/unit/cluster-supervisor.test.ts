/**
 * The compose file's restart policies as `npm run cluster` applies them without Docker (scripts/lib/cluster/
 * supervisor.ts), on real child processes: an exit nobody asked for is reported and, per policy, started again after
 * a doubling delay; a stop or kill of ours is left down; a start of ours replaces a pending restart.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readComposeFile } from '../../scripts/lib/cluster/compose';
import { Supervisor, type UnplannedExit } from '../../scripts/lib/cluster/supervisor';
import { ManagedProcess } from '../../scripts/lib/managed-process';

/** Short delays so a test sees several restarts; the shape is Docker's (first, doubling, cap, reset after a good run). */
const DELAYS = { firstMs: 50, maxMs: 400, resetAfterMs: 2_000 };

let supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors) {
    await s.close();
    await Promise.all([...s.processes.values()].map((p) => p.stop(1_000)));
  }
  supervisors = [];
});

function supervisor(delays = DELAYS) {
  const exits: UnplannedExit[] = [];
  const s = new Supervisor(new Map(), () => {}, delays);
  s.onUnplannedExit((exit) => exits.push(exit));
  supervisors.push(s);
  return { s, exits };
}

const sh = (label: string, script: string) => async () =>
  new ManagedProcess(label, '/bin/sh', ['-c', script], { echo: false });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

/** What the n-th start (from 1) does: run `script` (a long sleep by default), after `delayMs`, or fail. */
type Step = { script?: string; delayMs?: number; fail?: string };

/**
 * A start function that follows `plan` per call and counts them; `started` holds the processes it brought, so a
 * test can see one left running. Most tests begin with a start that exits 1 at once: the exit the policy answers.
 */
function scripted(label: string, plan: (n: number) => Step) {
  const calls = { count: 0, started: [] as ManagedProcess[] };
  const start = async () => {
    const step = plan(++calls.count);
    if (step.delayMs) await sleep(step.delayMs);
    if (step.fail) throw new Error(step.fail);
    const proc = await sh(label, step.script ?? 'sleep 30')();
    calls.started.push(proc);
    return proc;
  };
  return { start, calls };
}

describe('cluster supervisor', () => {
  it('starts a process that keeps exiting again and again, the delay doubling up to its cap, and reports each exit', async () => {
    const { s, exits } = supervisor();
    const { start, calls } = scripted('history', () => ({
      script: 'echo "no usable database connection found" >&2; exit 1',
    }));
    await s.add('history', 'unless-stopped', start);
    await until(() => exits.length >= 6);
    await s.close();
    expect(exits.slice(0, 6).map((e) => e.restartInMs)).toEqual([50, 100, 200, 400, 400, 400]);
    expect(exits.every((e) => e.label === 'history' && e.code === 1)).toBe(true);
    expect(exits[0]?.lastOutput).toContain('no usable database connection found');
    expect(calls.count).toBeGreaterThanOrEqual(6);
  });

  it('takes the delay back to the first once a process has run for a while', async () => {
    const { s, exits } = supervisor({ firstMs: 50, maxMs: 400, resetAfterMs: 200 });
    await s.add('worker-1', 'always', sh('worker-1', 'sleep 0.3; exit 0'));
    await until(() => exits.length >= 3);
    expect(exits.slice(0, 3).map((e) => e.restartInMs)).toEqual([50, 50, 50]);
  });

  it('leaves a stopped or killed process down: the exit was asked for', async () => {
    const { s, exits } = supervisor();
    const api = await s.add('api-1', 'unless-stopped', sh('api-1', 'sleep 30'));
    const worker = await s.add('worker-1', 'unless-stopped', sh('worker-1', 'sleep 30'));
    await api.stop();
    await worker.kill('SIGKILL');
    await sleep(300);
    expect(exits).toEqual([]);
    expect(s.processes.get('api-1')).toBe(api);
    expect(s.processes.get('worker-1')?.running).toBe(false);
    // and starts it again when asked
    const again = await s.start('worker-1');
    expect(again).not.toBe(worker);
    expect(again.running).toBe(true);
  });

  it("follows the policy: 'no' never, 'on-failure' after a non-zero exit only", async () => {
    const { s, exits } = supervisor();
    await s.add('job', 'no', sh('job', 'exit 7'));
    await s.add('clean', 'on-failure', sh('clean', 'exit 0'));
    const failing = scripted('failing', (n) => (n === 1 ? { script: 'exit 2' } : {}));
    await s.add('failing', 'on-failure', failing.start);
    await until(() => exits.length >= 3);
    const byLabel = Object.fromEntries(exits.map((e) => [e.label, e]));
    expect(byLabel.job).toMatchObject({ code: 7, restartInMs: undefined });
    expect(byLabel.clean).toMatchObject({ code: 0, restartInMs: undefined });
    expect(byLabel.failing).toMatchObject({ code: 2, restartInMs: 50 });
    await until(() => s.processes.get('failing')?.running === true);
    expect(failing.calls.count).toBe(2);
    expect(s.processes.get('job')?.running).toBe(false);
  });

  it('a start of ours during the delay replaces the pending restart: one process, not two', async () => {
    const { s, exits } = supervisor({ firstMs: 1_000, maxMs: 1_000, resetAfterMs: 10_000 });
    const { start, calls } = scripted('postgresql', (n) => (n === 1 ? { script: 'exit 1' } : {}));
    await s.add('postgresql', 'unless-stopped', start);
    await until(() => exits.length === 1);
    const ours = await s.start('postgresql');
    await sleep(1_500);
    expect(calls.count).toBe(2);
    expect(s.processes.get('postgresql')).toBe(ours);
    await expect(s.start('postgresql')).rejects.toThrow(/running/);
  });

  it('retries a start that fails until one succeeds, and reports the exit once', async () => {
    const { s, exits } = supervisor();
    const { start, calls } = scripted('nginx', (n) =>
      n === 1 ? { script: 'exit 1' } : n <= 3 ? { fail: 'port still held' } : {},
    );
    await s.add('nginx', 'unless-stopped', start);
    await until(() => s.processes.get('nginx')?.running === true && calls.count === 4);
    // one exit reported; the failed starts are retried, not reported as exits
    expect(exits.map((e) => e.code)).toEqual([1]);
  });

  it('stops restarting once closed', async () => {
    const { s, exits } = supervisor({ firstMs: 2_000, maxMs: 2_000, resetAfterMs: 10_000 });
    const { start, calls } = scripted('temporal-matching', () => ({ script: 'exit 1' }));
    await s.add('temporal-matching', 'always', start);
    await until(() => exits.length === 1);
    await s.close();
    await sleep(2_500);
    expect(calls.count).toBe(1);
  });

  it('waits for a start under way: a start of ours meanwhile gets that process, not a second one', async () => {
    const { s, exits } = supervisor();
    // a start that takes a while (waiting for the server to answer), as Redis's and PostgreSQL's do
    const { start, calls } = scripted('redis', (n) => (n === 1 ? { script: 'exit 1' } : { delayMs: 500 }));
    await s.add('redis', 'unless-stopped', start);
    await until(() => exits.length === 1 && calls.count === 2); // the policy's start is under way
    const ours = await s.start('redis');
    expect(calls.count).toBe(2);
    expect(ours.running).toBe(true);
    expect(s.processes.get('redis')).toBe(ours);
    expect(s.starts('redis')).toBe(2);
  });

  it('a stop during a start under way stops the process that start brings, and none is left behind on close', async () => {
    const { s, exits } = supervisor();
    const { start, calls } = scripted('nginx', (n) => (n === 1 ? { script: 'exit 1' } : { delayMs: 500 }));
    // the first start's process (exited) is not among those a slow start brought
    const started = () => calls.started.slice(1);
    await s.add('nginx', 'unless-stopped', start);
    await until(() => exits.length === 1 && calls.count === 2);
    await s.halt('nginx', 'kill');
    expect(started()).toHaveLength(1);
    expect(started()[0]?.running).toBe(false);
    await sleep(300);
    expect(calls.count).toBe(2); // killed as asked: no policy restart

    // and close() while a start is under way: the process it brings is stopped, not left running
    await s.start('nginx');
    await until(() => started().length === 2);
    await s.halt('nginx', 'stop');
    const late = s.start('nginx').catch((err: Error) => err.message);
    await s.close();
    expect(await late).toMatch(/stopping/);
    expect(started()).toHaveLength(3);
    expect(started()[2]?.running).toBe(false);
    await expect(s.start('nginx')).rejects.toThrow(/stopping/);
  });

  it('a stop of ours while a policy restart fails keeps the process down: no retry after it', async () => {
    const { s, exits } = supervisor();
    // PostgreSQL not ready in time
    const { start, calls } = scripted('postgresql', (n) =>
      n === 1 ? { script: 'exit 1' } : { delayMs: 500, fail: 'PostgreSQL exited during start-up' },
    );
    await s.add('postgresql', 'unless-stopped', start);
    await until(() => exits.length === 1 && calls.count === 2);
    await s.halt('postgresql', 'stop');
    await sleep(1_000);
    expect(calls.count).toBe(2);
  });

  it("a start of ours gets its own try when the policy's start under way fails", async () => {
    const { s, exits } = supervisor();
    const { start, calls } = scripted('redis', (n) =>
      n === 1 ? { script: 'exit 1' } : n === 2 ? { delayMs: 500, fail: 'port still held' } : {},
    );
    await s.add('redis', 'unless-stopped', start);
    await until(() => exits.length === 1 && calls.count === 2);
    const ours = await s.start('redis');
    expect(ours.running).toBe(true);
    expect(s.processes.get('redis')).toBe(ours);
  });
});

describe("docker-compose.yml's restart policies", () => {
  it('keeps every long-running service of the topology up and runs the one-shot jobs once', () => {
    const compose = readComposeFile({});
    const longRunning = [
      'postgresql',
      'temporal-history',
      'temporal-matching',
      'temporal-frontend',
      'temporal-worker',
      'temporal-ui',
      'redis',
      'nginx',
      'api-1',
      'api-2',
      'worker-1',
      'worker-2',
    ];
    for (const service of longRunning) expect(compose.restartPolicy(service), service).toBe('unless-stopped');
    for (const job of ['temporal-schema-setup', 'temporal-namespace-setup']) {
      expect(compose.restartPolicy(job), job).toBe('no');
    }
  });

  it('refuses a policy it would not apply as written', () => {
    const file = path.join(os.tmpdir(), `compose-restart-${process.pid}.yml`);
    writeFileSync(
      file,
      'services:\n  api:\n    image: x:1\n    restart: on-failure:3\n  job:\n    image: x:1\n',
    );
    const compose = readComposeFile({}, file);
    expect(() => compose.restartPolicy('api')).toThrow(/on-failure:3/);
    expect(compose.restartPolicy('job')).toBe('no');
  });
});
