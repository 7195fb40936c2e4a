/**
 * Both /metrics endpoints after a small load through the production entry points: the receiver's webhook counts
 * and ack latency, the worker's processing latency, failures, dead letters and the Temporal SDK's own series.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { receivedMessage, statusEvent } from '../helpers/events';
import { loadFixture, nowStamp } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { parseMetrics, startEntryPoints, total, type EntryPoints } from '../helpers/processes';
import { post } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import { StandIn } from '../../support/stand-in';
import { until } from '../helpers/wait';

const NOW = nowStamp();

const SECRET = 'metrics-test-secret';
let entry: EntryPoints;
let vesper: StandIn;
let connection: Connection;

beforeAll(async () => {
  vesper = await StandIn.start();
  entry = await startEntryPoints({
    WEBHOOK_SECRET: SECRET,
    VESPER_API_URL: vesper.url,
    VESPER_API_KEY: 'metrics-key',
    AUTO_REPLY_TEXT: 'Thanks!',
    AUTO_REPLY_COOLDOWN_SECONDS: '0',
    LOG_LEVEL: 'warn',
    // the session's watchdog restarts it a second after its drop, after the scripted replies below are spent
    SESSION_GRACE_SECONDS: '1',
    SESSION_ESCALATE_AFTER_SECONDS: '600',
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await entry?.stop();
  await vesper?.close();
  await connection?.close();
});

describe('metrics after a test load', () => {
  it('both /metrics endpoints show the named series with non-zero values', async () => {
    const url = `http://127.0.0.1:${entry.apiPort}/webhooks/whatsapp`;
    const session = uniqueId('s');
    const send = (event: unknown, secret = SECRET) => {
      const body = JSON.stringify(event);
      return post(url, body, signedHeaders(body, secret));
    };
    vesper.route(`/sessions/${session}/status`, () => ({ status: 200, body: { status: 'disconnected' } }));
    // one reply refused for good (a dead letter), one retried after a 500
    vesper.replyNext({ status: 400, body: { error: 'refused' } }, { status: 500 });
    const events = [
      ...Array.from({ length: 8 }, (_, i) =>
        receivedMessage(session, `M${i}`, `9055512300${i}@s.whatsapp.net`),
      ),
      statusEvent('delivered', session, 'M1', 1710495005),
      statusEvent('read', session, 'M1', 1710495009),
      loadFixture('session-disconnected', session),
    ];
    const accepted = [];
    for (const event of events) accepted.push(await send(event));
    expect(accepted.every((r) => r.status === 202)).toBe(true);
    expect((await send(events[0])).status).toBe(200); // duplicate
    expect((await send(events[1], 'wrong-secret')).status).toBe(401);
    expect((await send({ type: 'message.read', timestamp: NOW, data: { sessionId: session } })).status).toBe(
      400,
    );

    const client = new Client({ connection });
    const outcomes = await Promise.all(
      accepted.map((r) =>
        client.workflow
          .getHandle(r.body.workflowId ?? '')
          .result()
          .then(
            () => 'completed',
            () => 'failed',
          ),
      ),
    );
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(1);

    const api = parseMetrics(await (await fetch(`http://127.0.0.1:${entry.adminPort}/metrics`)).text());
    for (const outcome of ['accepted', 'duplicate', 'unauthorized', 'invalid']) {
      expect(total(api, 'whatsapp_webhooks_received_total', `outcome="${outcome}"`), outcome).toBeGreaterThan(
        0,
      );
    }
    expect(
      total(api, 'whatsapp_webhooks_received_total', 'type="message.received"', 'outcome="accepted"'),
    ).toBe(8);
    expect(total(api, 'whatsapp_webhook_ack_seconds_count', 'outcome="accepted"')).toBe(11);
    expect(total(api, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    const worker = parseMetrics(
      await (await fetch(`http://127.0.0.1:${entry.workerMetricsPort}/metrics`)).text(),
    );
    expect(total(worker, 'whatsapp_events_processed_total', 'outcome="completed"')).toBe(10);
    expect(total(worker, 'whatsapp_events_processed_total', 'outcome="dead-lettered"')).toBe(1);
    expect(total(worker, 'whatsapp_event_processing_seconds_count', 'type="message.received"')).toBe(8);
    expect(total(worker, 'whatsapp_event_end_to_end_seconds_count')).toBe(11);
    expect(total(worker, 'whatsapp_activity_attempts_total', 'activity="sendAutoReply"')).toBe(9);
    expect(
      total(worker, 'whatsapp_activity_failures_total', 'activity="sendAutoReply"', 'type="VesperRejected"'),
    ).toBe(1);
    expect(total(worker, 'whatsapp_activity_failures_total', 'type="HttpServerError"')).toBe(1);
    expect(total(worker, 'whatsapp_dead_letters_total', 'step="sendAutoReply"')).toBe(1);
    expect(total(worker, 'whatsapp_dead_letters_open')).toBeGreaterThan(0);
    expect([...worker.keys()].some((k) => k.startsWith('whatsapp_task_queue_backlog'))).toBe(true);
    // the Temporal SDK's own series, merged into the same endpoint
    expect([...worker.keys()].filter((k) => k.startsWith('temporal_')).length).toBeGreaterThan(5);
    expect(total(worker, 'temporal_workflow_completed')).toBeGreaterThan(0);

    // the session watchdog's series: down (from Temporal's visibility), a restart, then the recovery
    const workerMetrics = async () =>
      parseMetrics(await (await fetch(`http://127.0.0.1:${entry.workerMetricsPort}/metrics`)).text());
    await until('the session down and restarted', async () => {
      const m = await workerMetrics();
      return (
        total(m, 'whatsapp_sessions_down') === 1 &&
        total(m, 'whatsapp_session_restart_attempts_total', 'outcome="requested"') >= 1
      );
    });
    expect(
      (await send({ type: 'session.connected', timestamp: nowStamp(), data: { sessionId: session } })).status,
    ).toBe(202);
    await until('the recovery observed', async () => {
      const m = await workerMetrics();
      return (
        total(m, 'whatsapp_session_recovery_seconds_count', 'alerted="true"') === 1 &&
        total(m, 'whatsapp_sessions_down') === 0
      );
    });
  });
});
