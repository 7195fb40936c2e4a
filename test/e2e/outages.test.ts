/**
 * Infrastructure outages on the real dev server and a Redis of the test's own (stopped and started here):
 * alerting and scrapes go on while Redis is down, a storage step waits out the outage as a visible pending
 * activity instead of dead-lettering, and so does a reply while Vesper answers 500 — until the message is too old
 * for a reply to be worth sending.
 */
import type { WorkflowHandle } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestEffort } from '../../src/activities/best-effort';
import { redisKeys } from '../../src/redis-keys';
import { TrendMonitor } from '../../src/monitoring/trend-alerts';
import { getFreePort } from '../../scripts/lib/managed-process';
import { eventKeyOf } from '../../src/api/event-key';
import { createTemporalStarter } from '../../src/api/start-event';
import { npmRun } from '../helpers/cli';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { OwnRedis } from '../helpers/own-redis';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { parseMetrics, startEntryPoints } from '../helpers/processes';
import { until } from '../helpers/wait';
import { startTestWorker } from '../helpers/temporal';

let redis: OwnRedis;
let p: Pipeline;
beforeAll(async () => {
  redis = await OwnRedis.start();
  // the send may wait out outages, but not past 30 s of the message's age
  p = await startPipeline(
    () => ({ autoReply: { text: 'Thanks!', cooldownSeconds: 0, maxAgeSeconds: 30, ownNumbers: [] } }),
    { redisUrl: redis.url },
  );
});
afterAll(async () => {
  await redis?.up();
  await p?.close();
  await redis?.down();
});

/** The run's pending activity of this type, once it has made `attempts` attempts. */
async function pendingAfter(handle: WorkflowHandle, activityType: string, attempts: number) {
  let found;
  await until(
    `${activityType} pending at attempt ${attempts}`,
    async () => {
      const { raw } = await handle.describe();
      found = raw.pendingActivities?.find((a) => a.activityType?.name === activityType);
      return (found?.attempt ?? 0) >= attempts;
    },
    60_000,
  );
  return found as unknown as { attempt: number; maximumAttempts: number; lastFailure?: { message?: string } };
}

/** The replies Vesper took for a session (the stand-in counts a key once, as an API honouring it would). */
const sendsTo = (session: string) =>
  p.vesper.effects().filter((r) => (r.body as { session: string }).session === session);

const groupAlertsOf = (workflowId: string) =>
  p.alerts.requests.filter(
    (r) => (r.body as { fields?: { latestWorkflowId?: string } }).fields?.latestWorkflowId === workflowId,
  );

describe('while Redis is down', () => {
  it('a dead letter is alerted at once; its record waits for Redis', async () => {
    await redis.down();
    try {
      // a status event without its message ID fails for good before any Redis call
      const handle = await p.start({
        type: 'message.delivered',
        timestamp: new Date().toISOString(),
        data: { sessionId: uniqueId('s'), status: 'delivered' },
      });
      await until('the opening alert', () => groupAlertsOf(handle.workflowId).length > 0, 30_000);
      expect(groupAlertsOf(handle.workflowId)[0]?.body).toMatchObject({
        fields: {
          kind: 'dead-letter-group',
          state: 'opened',
          step: 'updateMessageStatus',
          errorType: 'InvalidEvent',
        },
      });
      // still running: the dead letter's record is a pending activity, retried until Redis is back
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await pendingAfter(handle, 'recordDeadLetter', 1);
      await redis.up();
      await expect(handle.result()).rejects.toThrow();
      expect(await p.redis.hget(redisKeys.deadLetter(handle.workflowId), 'status')).toBe('open');
    } finally {
      await redis.up();
    }
  }, 90_000);

  it("a disconnect reaches the session's watchdog, which alerts after its grace; the session record waits for Redis", async () => {
    await redis.down();
    try {
      const session = uniqueId('s');
      const handle = await p.start({
        type: 'session.disconnected',
        timestamp: new Date().toISOString(),
        data: { sessionId: session, reason: 'phone offline' },
      });
      await until(
        "the watchdog's down alert",
        () =>
          p.alerts.requests.some(
            (r) =>
              JSON.stringify(r.body).includes(session) && JSON.stringify(r.body).includes('session.down'),
          ),
        30_000,
      );
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await redis.up();
      expect(await handle.result()).toMatchObject({ outcome: 'processed' });
      expect(await p.redis.hget(redisKeys.session(session), 'status')).toBe('disconnected');
    } finally {
      await redis.up();
    }
  }, 90_000);

  it('the worker entry point started while Redis is down runs, and alerts a dead letter', async () => {
    await redis.down();
    const entry = await startEntryPoints({
      WEBHOOK_SECRET: 'a-secret',
      REDIS_URL: redis.url,
      ALERT_WEBHOOK_URL: `${p.alerts.url}/alerts`,
      DEAD_LETTER_ALERT_WINDOW_SECONDS: '2',
      DEAD_LETTER_ALERT_UPDATE_SECONDS: '2',
    });
    try {
      const event = {
        type: 'message.read',
        timestamp: new Date().toISOString(),
        data: { sessionId: uniqueId('s'), status: 'read' },
      };
      const eventKey = eventKeyOf(event, JSON.stringify(event));
      await createTemporalStarter(p.env.client, {
        taskQueue: entry.env.TEMPORAL_TASK_QUEUE ?? '',
        timeoutMs: 5000,
      })({
        eventKey,
        event,
        receivedAt: new Date().toISOString(),
      });
      await until('the opening alert', () => groupAlertsOf(eventKey).length > 0, 60_000);
      expect(entry.worker.running).toBe(true);
    } finally {
      await redis.up();
      await entry.stop();
    }
  }, 120_000);

  it("the worker's /metrics still answers, with Redis marked down and its series NaN, not a stale 0", async () => {
    const port = await getFreePort();
    const worker = await startTestWorker(p.env, {
      redisUrl: redis.url,
      extraEnv: { WORKER_METRICS_PORT: String(port), WORKER_SDK_METRICS_PORT: String(await getFreePort()) },
    });
    const running = worker.run();
    const scrape = async () => parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    try {
      await redis.down();
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const series = parseMetrics(await res.text());
      expect(series.get('whatsapp_worker_redis_up')).toBe(0);
      expect(series.get('whatsapp_dead_letters_open')).toBeNaN();
      expect(series.has('process_cpu_user_seconds_total')).toBe(true);
      await redis.up();
      await until(
        'Redis back for the worker',
        async () => (await scrape()).get('whatsapp_worker_redis_up') === 1,
      );
      expect((await scrape()).get('whatsapp_dead_letters_open')).toBeGreaterThanOrEqual(0);
    } finally {
      worker.shutdown();
      await running;
      await redis.up();
    }
  });

  it('the error-rate trend still fires (from what this worker knows), and recovers once Redis is back', async () => {
    let totals = { attempts: 0, failures: 0 };
    let now = 1_000_000;
    const sent: string[] = [];
    const monitor = new TrendMonitor({
      redis: p.redis,
      config: {
        checkIntervalSeconds: 1,
        windowSeconds: 60,
        errorRateThreshold: 0.5,
        errorRateMinAttempts: 10,
        deadLettersOpenThreshold: 1_000_000,
      },
      sources: {
        deadLettersOpen: () => bestEffort(p.redis, (r) => r.zcard(redisKeys.deadLettersOpen)),
        attemptTotals: () => totals,
      },
      send: async (alert) => void sent.push(`${alert.trend}:${alert.state}`),
      logger: pino({ level: 'silent' }),
      now: () => now,
      stateKeyPrefix: `${uniqueId('trend')}:`,
    });
    await monitor.check();
    await redis.down();
    try {
      totals = { attempts: 40, failures: 40 };
      now += 10_000;
      await monitor.check();
      expect(sent).toEqual(['activity-error-rate:firing']);
      await redis.up();
      await until('Redis back for the client', () => p.redis.status === 'ready');
      totals = { attempts: 200, failures: 40 };
      now += 60_000;
      await monitor.check();
      expect(sent).toEqual(['activity-error-rate:firing', 'activity-error-rate:recovered']);
    } finally {
      await redis.up();
    }
  });

  it('a refusal retrying cannot change (WRONGTYPE) is a dead letter at once, not an outage to wait out', async () => {
    await until('Redis ready', () => p.redis.status === 'ready');
    const session = uniqueId('s');
    await p.redis.set(redisKeys.message(session, 'M1'), 'not a hash');
    const handle = await p.start(receivedMessage(session, 'M1'));
    await expect(handle.result()).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^saveMessage failed for good: WRONGTYPE/) },
    });
    expect(await p.redis.hgetall(redisKeys.deadLetter(handle.workflowId))).toMatchObject({
      step: 'saveMessage',
      errorType: 'StorageRejected',
      attempts: '1',
    });
    const history = await handle.fetchHistory();
    const scheduled = history.events?.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'saveMessage',
    );
    expect(scheduled).toEqual([]); // never handed to the outage activity
  });

  it('a message waits as a pending saveMessage retried without bound (Web UI), then completes: no dead letter', async () => {
    await until('Redis ready', () => p.redis.status === 'ready');
    await redis.down();
    let handle: WorkflowHandle | undefined;
    try {
      handle = await p.start(receivedMessage(uniqueId('s'), 'M1', '905551234567@s.whatsapp.net'));
      const pending = await pendingAfter(handle, 'saveMessage', 2);
      expect(pending.maximumAttempts).toBe(0); // unlimited
      expect(pending.lastFailure?.message).toBeTruthy();
      expect((await handle.describe()).status.name).toBe('RUNNING');
    } finally {
      await redis.up();
    }
    expect(await handle.result()).toMatchObject({ outcome: 'processed', autoReply: 'sent' });
    expect(await p.redis.exists(redisKeys.deadLetter(handle.workflowId))).toBe(0);
    expect(groupAlertsOf(handle.workflowId)).toEqual([]);
  }, 120_000);
});

describe('while Vesper answers 500', () => {
  it('the reply waits as a pending sendAutoReply retried without bound, then goes out once', async () => {
    p.vesper.setMode('5xx');
    const session = uniqueId('s');
    const handle = await p.start(receivedMessage(session, 'M1'));
    try {
      const pending = await pendingAfter(handle, 'sendAutoReply', 3);
      expect(pending.maximumAttempts).toBe(0);
      expect(pending.lastFailure?.message).toBe('Vesper send: HTTP 500');
    } finally {
      p.vesper.setMode('ok');
    }
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    expect(sendsTo(session)).toHaveLength(1);
  }, 60_000);

  it('a hanging Vesper: the local attempts time out and the send is handed to an ordinary activity, then goes out once', async () => {
    p.vesper.setMode('hang');
    const session = uniqueId('s');
    const handle = await p.start(receivedMessage(session, 'M1'));
    try {
      // each local attempt gives up at the 2 s HTTP timeout: handed over within the local bound, never held longer
      const pending = await pendingAfter(handle, 'sendAutoReply', 1);
      expect(pending.maximumAttempts).toBe(0);
    } finally {
      p.vesper.setMode('ok');
    }
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    const history = (await handle.fetchHistory()).events ?? [];
    const scheduled = history.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendAutoReply',
    );
    expect(scheduled).toHaveLength(1);
    // the stand-in honours Idempotency-Key: one effect for the session, whatever hung before
    expect(sendsTo(session)).toHaveLength(1);
  }, 60_000);

  it('past AUTO_REPLY_MAX_AGE_SECONDS the reply is given up: a ReplyExpired dead letter, not a reply hours late', async () => {
    p.vesper.setMode('5xx');
    try {
      // 26 s old on arrival: the attempts at +2 s and +6 s are within the 30 s, the one after is not
      const event = {
        ...receivedMessage(uniqueId('s'), 'M1'),
        timestamp: new Date(Date.now() - 26_000).toISOString(),
      };
      const handle = await p.start(event);
      await expect(handle.result()).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/^sendAutoReply failed for good: the message is \d+ s old/) },
      });
      expect(await p.redis.hgetall(redisKeys.deadLetter(handle.workflowId))).toMatchObject({
        step: 'sendAutoReply',
        errorType: 'ReplyExpired',
        status: 'open',
      });

      // Vesper is back, but the reply is still too late: a resubmission completes without it, closing the letter
      p.vesper.setMode('ok');
      // sends only: this pipeline's session watchdogs call Vesper's session API meanwhile
      const sends = p.vesper.to('/messages/send/text').length;
      const res = await npmRun('dlq', ['resubmit', handle.workflowId, '--wait'], {
        REDIS_URL: redis.url,
        TEMPORAL_TASK_QUEUE: p.worker.options.taskQueue,
      });
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(await p.env.client.workflow.getHandle(handle.workflowId).result()).toMatchObject({
        autoReply: 'expired',
      });
      expect(await p.redis.hget(redisKeys.deadLetter(handle.workflowId), 'status')).toBe('resolved');
      expect(p.vesper.to('/messages/send/text').length).toBe(sends);
    } finally {
      p.vesper.setMode('ok');
    }
  }, 90_000);
});
