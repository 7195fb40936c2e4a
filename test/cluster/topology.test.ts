/**
 * The production topology (`npm run cluster`: Temporal's four roles on PostgreSQL, nginx in front of two
 * receivers, two workers, the Web UI server), end to end through nginx as Vesper reaches it: an event completes
 * with its effects once, copies of it sent at once start one workflow, and a dead letter shows in the Web UI's
 * `DeadLettered=true` filter and is redriven with the README runbook's `temporal` and `tctl` commands; the history
 * role crashing while PostgreSQL is away comes back by the compose file's restart policy.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../scripts/lib/cluster';
import type { UnplannedExit } from '../../scripts/lib/cluster/supervisor';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { ensureTctl } from '../../scripts/lib/provision';
import { run } from '../../scripts/lib/run';
import { redisKeys } from '../../src/redis-keys';
import type { VesperEvent } from '../../src/workflows/contracts';
import { StandIn } from '../../support/stand-in';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { signedHeaders } from '../helpers/signed-request';

const AUTO_REPLY_TEXT = 'Thanks! We will get back to you shortly.';

let cluster: RunningCluster;
let vesper: StandIn;
let alerts: StandIn;
let client: Client;
let connection: Connection;
let redis: Redis;
let dataDir: string;

beforeAll(async () => {
  [vesper, alerts] = await Promise.all([StandIn.start(), StandIn.start()]);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cluster-test-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as `postgres` when we are root
  cluster = await startCluster({
    dataDir,
    echo: false,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
      WEBHOOK_SECRET: randomBytes(24).toString('hex'),
      VESPER_API_URL: vesper.url,
      VESPER_API_KEY: randomBytes(12).toString('hex'),
      AUTO_REPLY_TEXT,
      AUTO_REPLY_COOLDOWN_SECONDS: '0',
      ALERT_WEBHOOK_URL: `${alerts.url}/alerts`,
      LOG_LEVEL: 'warn',
      TEMPORAL_LOG_LEVEL: 'warn',
    },
  });
  connection = await Connection.connect({ address: cluster.temporalAddress });
  client = new Client({ connection, namespace: cluster.namespace });
  redis = new Redis(cluster.redisUrl);
});

afterAll(async () => {
  redis?.disconnect();
  await connection?.close();
  await cluster?.stop();
  await Promise.all([vesper?.close(), alerts?.close()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** POSTs the event, signed with the cluster's secret, to nginx's public webhook URL. */
async function deliver(
  event: VesperEvent,
): Promise<{ status: number; body: { workflowId?: string; status?: string } }> {
  const body = JSON.stringify(event);
  const response = await fetch(cluster.webhookUrl, {
    method: 'POST',
    headers: signedHeaders(body, cluster.webhookSecret),
    body,
  });
  return { status: response.status, body: (await response.json()) as { workflowId?: string } };
}

async function statusOf(workflowId: string, want: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status = '';
  while (Date.now() < deadline) {
    status = (await client.workflow.getHandle(workflowId).describe()).status.name;
    if (status === want) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return status;
}

/** The Web UI server's own HTTP API, as the browser calls it. */
async function uiList(query: string): Promise<string[]> {
  const url = `${cluster.uiUrl}/api/v1/namespaces/${cluster.namespace}/workflows?query=${encodeURIComponent(query)}`;
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  const body = (await response.json()) as { executions?: { execution: { workflowId: string } }[] };
  return (body.executions ?? []).map((e) => e.execution.workflowId);
}

async function cli(tool: 'temporal' | 'tctl', args: string[]): Promise<string> {
  const result = await run('npm', ['run', '-s', tool, '--', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: cluster.temporalAddress },
  });
  expect(result.code, `${tool} ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Visibility on PostgreSQL is written after the close: wait until a query sees the workflow. */
async function untilListed(query: string, workflowId: string): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  let ids: string[] = [];
  while (Date.now() < deadline) {
    ids = await uiList(query);
    if (ids.includes(workflowId)) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return ids;
}

describe('the production topology, through nginx', () => {
  it('runs a signed event to completion: saved once, replied once, shown by the Web UI', async () => {
    const session = uniqueId('s');
    const before = vesper.effects().length;
    const answer = await deliver(receivedMessage(session, 'M1'));
    expect(answer.status).toBe(202);
    const workflowId = answer.body.workflowId ?? '';
    expect(await statusOf(workflowId, 'COMPLETED')).toBe('COMPLETED');

    expect(await redis.exists(redisKeys.message(session, 'M1'))).toBe(1);
    const sends = vesper.effects().slice(before);
    expect(sends).toHaveLength(1);
    expect(JSON.stringify(sends[0]?.body)).toContain(AUTO_REPLY_TEXT);
    expect(await untilListed(`WorkflowId="${workflowId}"`, workflowId)).toEqual([workflowId]);
  });

  it('starts one workflow for copies of an event sent at once, whichever receiver each reaches', async () => {
    const session = uniqueId('s');
    const event = receivedMessage(session, 'M1');
    const before = vesper.effects().length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(event)));
    expect(
      answers.map((a) => a.status).every((s) => s === 202 || s === 200),
      JSON.stringify(answers),
    ).toBe(true);
    const ids = new Set(answers.map((a) => a.body.workflowId));
    expect(ids.size).toBe(1);
    const [workflowId = ''] = [...ids];
    expect(await statusOf(workflowId, 'COMPLETED')).toBe('COMPLETED');
    expect(await untilListed(`SessionId="${session}"`, workflowId)).toEqual([workflowId]);
    expect(vesper.effects().length - before).toBe(1);
  });

  it('shows a dead letter under DeadLettered=true in the Web UI; temporal and tctl resets redrive it', async () => {
    await ensureTctl();
    const session = uniqueId('s');
    const ids: string[] = [];
    for (const messageId of ['M1', 'M2']) {
      vesper.replyNext({ status: 400, body: { error: 'refused' } });
      const answer = await deliver(receivedMessage(session, messageId));
      expect(answer.status).toBe(202);
      const workflowId = answer.body.workflowId ?? '';
      expect(await statusOf(workflowId, 'FAILED')).toBe('FAILED');
      ids.push(workflowId);
    }
    const [first = '', second = ''] = ids;
    const listed = await untilListed(`DeadLettered=true AND SessionId="${session}"`, second);
    expect(listed.sort()).toEqual([...ids].sort());

    await cli('temporal', [
      'workflow',
      'reset',
      '-w',
      first,
      '-t',
      'FirstWorkflowTask',
      '--reason',
      'redrive after fix',
    ]);
    await cli('tctl', [
      ...['workflow', 'reset', '--workflow_id', second, '--reset_type', 'FirstWorkflowTask'],
      ...['--reason', 'redrive after fix'],
    ]);
    for (const id of ids) {
      expect(await statusOf(id, 'COMPLETED'), id).toBe('COMPLETED');
      expect(await redis.hget(redisKeys.deadLetter(id), 'status'), id).toBe('resolved');
    }
  });

  it("brings back the history role that crashes while PostgreSQL is away, by the compose file's restart policy", async () => {
    const exits: UnplannedExit[] = [];
    const unsubscribe = cluster.onUnplannedExit((exit) => exits.push(exit));
    const historyExits = () => exits.filter((e) => e.label === 'temporal-history');
    try {
      await cluster.stopProcess('postgresql');
      // a crash from outside (the OOM killer, say), not a stop of ours
      const pid = cluster.processes.get('temporal-history')?.child.pid;
      if (!pid) throw new Error('no temporal-history process');
      process.kill(pid, 'SIGKILL');
      // started again and again while the database is away: each start fails and waits longer
      await until(() => historyExits().length >= 3, 60_000);
      await cluster.start('postgresql');

      const session = uniqueId('s');
      let answer = { status: 0, body: {} as { workflowId?: string } };
      await until(async () => {
        answer = await deliver(receivedMessage(session, 'M1'));
        return answer.status === 202;
      }, 90_000);
      expect(await statusOf(answer.body.workflowId ?? '', 'COMPLETED', 90_000)).toBe('COMPLETED');
    } finally {
      unsubscribe();
    }
    const [killed, ...whileAway] = historyExits();
    expect(killed?.code).toBe(128); // the SIGKILL
    expect(whileAway.length).toBeGreaterThanOrEqual(2);
    for (const exit of whileAway) expect(exit.code, exit.lastOutput).not.toBe(0);
    const delays = historyExits().map((e) => e.restartInMs ?? 0);
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);
    expect(cluster.processes.get('temporal-history')?.running).toBe(true);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
