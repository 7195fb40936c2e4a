/**
 * The session watchdog's timers are Temporal's, not the worker's: the production entry points, the worker
 * SIGKILLed twice during an outage (inside the grace, then while the escalation is pending) and started again;
 * each timer still fires once, and no alert or restart is doubled.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionStateQuery, sessionWatchdogId, type VesperEvent } from '../../src/workflows/contracts';
import { StandIn } from '../../support/stand-in';
import { nowStamp } from '../helpers/fixtures';
import { uniqueId } from '../helpers/ids';
import { restartWorker, startEntryPoints, type EntryPoints } from '../helpers/processes';
import { post } from '../helpers/receiver';
import { signedHeaders } from '../helpers/signed-request';
import { until } from '../helpers/wait';

const SECRET = 'watchdog-crash-secret';
const ESCALATE_AFTER_SECONDS = 25;
let entry: EntryPoints;
let vesper: StandIn;
let alerts: StandIn;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  [vesper, alerts] = await Promise.all([StandIn.start(), StandIn.start()]);
  entry = await startEntryPoints({
    WEBHOOK_SECRET: SECRET,
    VESPER_API_URL: vesper.url,
    VESPER_API_KEY: 'crash-test-key',
    ALERT_WEBHOOK_URL: `${alerts.url}/alerts`,
    SESSION_GRACE_SECONDS: '3',
    SESSION_ESCALATE_AFTER_SECONDS: String(ESCALATE_AFTER_SECONDS),
    SESSION_RESTART_INTERVAL_SECONDS: '2',
    SESSION_RESTART_MAX_INTERVAL_SECONDS: '10',
    SESSION_RESTART_MAX_ATTEMPTS: '3',
    SESSION_STATUS_CHECK_DELAY_SECONDS: '1',
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  await entry?.stop();
  await connection?.close();
  await Promise.all([vesper?.close(), alerts?.close()]);
});

const kindsFor = (sessionId: string) =>
  alerts
    .effects()
    .map((r) => (r.body as { fields: Record<string, string> }).fields)
    .filter((f) => f.sessionId === sessionId)
    .map((f) => f.kind);

async function sendEvent(event: VesperEvent): Promise<void> {
  const body = JSON.stringify(event);
  const res = await post(
    `http://127.0.0.1:${entry.apiPort}/webhooks/whatsapp`,
    body,
    signedHeaders(body, SECRET),
  );
  expect(res.status).toBe(202);
}

describe('session watchdog across worker crashes', () => {
  it('fires its grace and escalation once each though the worker is SIGKILLed twice', async () => {
    const session = uniqueId('crash-müşteri');
    vesper.route(`/sessions/${encodeURIComponent(session)}/status`, () => ({
      status: 200,
      body: { status: 'disconnected' },
    }));
    const watchdog = client.workflow.getHandle(
      sessionWatchdogId(entry.env.TEMPORAL_TASK_QUEUE ?? '', session),
    );
    await sendEvent({
      type: 'session.disconnected',
      timestamp: nowStamp(),
      data: { sessionId: session, reason: 'phone_offline' },
    });
    await until('the watchdog to hold the outage', async () => {
      const view = await watchdog.query(sessionStateQuery).catch(() => undefined);
      return view?.status === 'disconnected';
    });

    // inside the grace: the timer fires while no worker runs, and once when one is back
    await entry.worker.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await restartWorker(entry);
    await until('the down alert', () => kindsFor(session).includes('session.down'), 30_000);

    // the escalation pending: killed again, started again
    await entry.worker.kill('SIGKILL');
    await restartWorker(entry);
    await until('the escalation', () => kindsFor(session).includes('session.escalated'), 60_000);

    await sendEvent({ type: 'session.connected', timestamp: nowStamp(), data: { sessionId: session } });
    await until('the recovery alert', () => kindsFor(session).includes('session.recovered'), 30_000);
    expect(kindsFor(session)).toEqual(['session.down', 'session.escalated', 'session.recovered']);
    // a resend under the same key after a kill mid-send is absorbed, never a second alert
    const sessionAlerts = alerts.requests.filter((r) => JSON.stringify(r.body).includes(session));
    expect(sessionAlerts.filter((r) => r.effect)).toHaveLength(3);
    const restarts = vesper.requests.filter(
      (r) => r.path === `/sessions/${encodeURIComponent(session)}/restart`,
    );
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    expect(restarts.filter((r) => r.effect).length).toBeLessThanOrEqual(3);
    const state = await watchdog.query(sessionStateQuery);
    expect(state).toMatchObject({ status: 'connected', outages: 1, alertsSent: 3 });
    expect(state.lastRecovery?.alerted).toBe(true);
  }, 180_000);
});
