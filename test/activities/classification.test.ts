/** How activities classify failures, run in MockActivityEnvironment against stand-ins on loopback. */
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, type Activities } from '../../src/activities';
import { getFreePort } from '../../scripts/lib/managed-process';
import { ensureRedisServer } from '../../scripts/lib/redis-server';
import { startRedisServer } from '../../scripts/lib/services';
import { WORKER_REDIS_OPTIONS } from '../../src/processing-worker';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { StandIn } from '../../support/stand-in';
import { connectToRedis, testActivityConfig } from '../helpers/temporal';

/** These activities never reach Temporal: a client that connects only if used. */
const lazyClient = () => new Client({ connection: Connection.lazy({ address: inject('temporalAddress') }) });

let vesper: StandIn;
let redis: Redis;
let activities: Activities;

beforeAll(async () => {
  vesper = await StandIn.start();
  redis = connectToRedis();
  activities = build(vesper.url, `${vesper.url}/alerts`);
});
afterAll(async () => {
  await vesper?.close();
  await redis?.quit();
});

function build(vesperUrl: string, alertUrl: string | undefined, timeoutMs = 1000): Activities {
  return createActivities({
    client: lazyClient(),
    redis,
    logger: pino({ level: 'silent' }),
    config: testActivityConfig({
      vesper: { apiUrl: vesperUrl, apiKey: 'k', timeoutMs },
      autoReply: { text: 'hi', cooldownSeconds: 0, maxAgeSeconds: 3600, ownNumbers: [] },
      alertWebhookUrl: alertUrl,
    }),
  });
}

/** Runs one auto-reply attempt as attempt `attempt` and returns what it threw. */
async function failureOf(run: (a: Activities) => Promise<unknown>, attempt = 1): Promise<ApplicationFailure> {
  const env = new MockActivityEnvironment({ attempt });
  const error = await env
    .run(() => run(activities))
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const reply = (a: Activities) =>
  a.sendAutoReply({ eventKey: uniqueId('k'), event: receivedMessage(uniqueId('s'), 'M'), receivedAt: '' });

describe('activity failure classification', () => {
  it('Vesper 4xx is non-retryable VesperRejected, with the attempt recorded', async () => {
    vesper.replyNext({ status: 400, body: { error: 'bad number' } });
    const failure = await failureOf(reply, 3);
    expect(failure).toMatchObject({ type: 'VesperRejected', nonRetryable: true });
    expect(failure.message).toContain('HTTP 400');
    expect(failure.details).toContainEqual({ attempt: 3 });
  });

  it('408, 409 (an idempotency key in flight) and 429 are retried; after their Retry-After', async () => {
    vesper.replyNext({ status: 409, headers: { 'retry-after': '2' } });
    expect(await failureOf(reply)).toMatchObject({
      type: 'HttpThrottled',
      nonRetryable: false,
      nextRetryDelay: 2000,
    });
    vesper.replyNext({ status: 408 });
    expect(await failureOf(reply)).toMatchObject({ type: 'HttpThrottled', nonRetryable: false });
    vesper.replyNext({ status: 429, headers: { 'retry-after': '7' } });
    const throttled = await failureOf(reply);
    expect(throttled).toMatchObject({ type: 'HttpThrottled', nonRetryable: false, nextRetryDelay: 7000 });
  });

  it('5xx, refused connections and timeouts are retryable', async () => {
    vesper.replyNext({ status: 502 });
    expect(await failureOf(reply)).toMatchObject({ type: 'HttpServerError', nonRetryable: false });

    const closedPort = await getFreePort();
    const refused = await failureOf(() => reply(build(`http://127.0.0.1:${closedPort}`, undefined)));
    expect(refused).toMatchObject({ type: 'NetworkError', nonRetryable: false });
    expect(refused.message).toContain('ECONNREFUSED');

    vesper.replyNext({ status: 200, delayMs: 800 });
    const slow = await failureOf(() => reply(build(vesper.url, undefined, 200)));
    expect(slow).toMatchObject({
      type: 'NetworkError',
      nonRetryable: false,
      message: 'Vesper send: timed out',
    });
  });

  it('the alert webhook 4xx is non-retryable AlertRejected; without a webhook the alert is logged', async () => {
    vesper.replyNext({ status: 404 });
    const alert = { alertKey: uniqueId('alert'), text: 't', fields: {} };
    expect(await failureOf((a) => a.alertTeam(alert))).toMatchObject({
      type: 'AlertRejected',
      nonRetryable: true,
    });
    const logged = await new MockActivityEnvironment().run(build(vesper.url, undefined).alertTeam, alert);
    expect(logged).toBe('logged');
  });

  it('an event without IDs is non-retryable InvalidEvent; a Redis error is retryable and keeps its name', async () => {
    const invalid = {
      eventKey: 'k',
      event: { type: 'message.read', timestamp: '2026-03-15T10:30:00Z', data: {} },
      receivedAt: '',
    };
    expect(await failureOf((a) => a.updateMessageStatus(invalid))).toMatchObject({
      type: 'InvalidEvent',
      nonRetryable: true,
    });

    const broken = connectToRedis();
    await broken.quit();
    const offline = createActivities({
      client: lazyClient(),
      redis: broken,
      logger: pino({ level: 'silent' }),
      config: testActivityConfig(),
    });
    const failure = await failureOf(() =>
      offline.saveMessage({ eventKey: 'k', event: receivedMessage('s', 'M'), receivedAt: '' }),
    );
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/Connection is closed/);
  });

  it('a cancelled attempt (timed out or its run cancelled) stops its request instead of overlapping its retry', async () => {
    vesper.replyNext({ status: 200, delayMs: 5000 });
    const before = vesper.requests.length;
    const env = new MockActivityEnvironment();
    const running = env.run(() => reply(build(vesper.url, undefined, 20_000)));
    while (vesper.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    env.cancel('TIMED_OUT');
    await expect(running).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000); // not the 5 s answer, not the 20 s HTTP timeout
  });

  it("the worker's Redis client gives up on a stalled Redis (5 s) instead of holding the attempt", async () => {
    const port = await getFreePort();
    const server = await startRedisServer({ binary: await ensureRedisServer(), port, echo: false });
    const stalled = new Redis(`redis://127.0.0.1:${port}`, WORKER_REDIS_OPTIONS);
    try {
      const worker = createActivities({
        client: lazyClient(),
        redis: stalled,
        logger: pino({ level: 'silent' }),
        config: testActivityConfig(),
      });
      await stalled.ping();
      const admin = new Redis(`redis://127.0.0.1:${port}`);
      await admin.call('CLIENT', 'PAUSE', '15000', 'ALL');
      admin.disconnect(); // QUIT would wait out the pause too
      const started = Date.now();
      const failure = await failureOf(() =>
        worker.saveMessage({ eventKey: 'k', event: receivedMessage('s', 'M'), receivedAt: '' }),
      );
      expect(failure).toMatchObject({ nonRetryable: false, message: expect.stringMatching(/timed out/i) });
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      stalled.disconnect();
      await server.process.stop();
    }
  });
});
