/** Trend alerts: once when a threshold is crossed, once on recovery; never per check. */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverAlert } from '../../src/activities/alerts';
import { listDeadLetters } from '../../src/ops/dead-letter-store';
import { TrendMonitor, type TrendAlert } from '../../src/monitoring/trend-alerts';
import type { TrendAlertConfig } from '../../src/config';
import { npmRun } from '../helpers/cli';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { startPipeline, type Pipeline } from '../helpers/pipeline';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p?.close());

const CONFIG: TrendAlertConfig = {
  checkIntervalSeconds: 1,
  windowSeconds: 60,
  errorRateThreshold: 0.5,
  errorRateMinAttempts: 10,
  deadLettersOpenThreshold: 2,
};

function monitor(sources: ConstructorParameters<typeof TrendMonitor>[0]['sources'], now?: () => number) {
  return new TrendMonitor({
    redis: p.redis,
    config: CONFIG,
    sources,
    send: (alert: TrendAlert) =>
      deliverAlert(
        { alertWebhookUrl: `${p.alerts.url}/alerts`, logger: pino({ level: 'silent' }) },
        {
          alertKey: `trend:${alert.trend}:${alert.state}:${Date.now()}`,
          text: alert.text,
          fields: { trend: alert.trend, state: alert.state },
        },
      ),
    logger: pino({ level: 'silent' }),
    stateKeyPrefix: `${uniqueId('trend')}:`,
    now,
  });
}

const trendAlerts = (trend: string) =>
  p.alerts.requests.filter((r) => (r.body as { fields?: { trend?: string } }).fields?.trend === trend);

describe('trend alerts', () => {
  it('fires once when open dead letters reach the threshold, and recovers once after the redrive', async () => {
    const session = uniqueId('s');
    const openInSession = async () => (await listDeadLetters(p.redis, { session })).length;
    const trends = monitor({
      deadLettersOpen: openInSession,
      attemptTotals: () => ({ attempts: 0, failures: 0 }),
    });
    const before = trendAlerts('dead-letters-open').length;

    for (const id of ['A', 'B']) {
      expect(await trends.check()).toEqual([]);
      p.vesper.replyNext({ status: 400, body: { error: 'refused' } });
      await (
        await p.start(receivedMessage(session, id, `9055500${id === 'A' ? 1 : 2}@s.whatsapp.net`))
      )
        .result()
        .catch(() => undefined);
    }
    const fired = await trends.check();
    expect(fired).toMatchObject([{ trend: 'dead-letters-open', state: 'firing' }]);
    expect(await trends.check()).toEqual([]);
    expect(trendAlerts('dead-letters-open').length - before).toBe(1);
    expect(trendAlerts('dead-letters-open').at(-1)?.body).toMatchObject({
      text: expect.stringContaining('2 dead letters are open'),
    });

    const redrive = await npmRun('dlq', ['redrive', '--all', '--session', session, '--wait']);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(await trends.check()).toMatchObject([{ trend: 'dead-letters-open', state: 'recovered' }]);
    expect(await trends.check()).toEqual([]);
    expect(trendAlerts('dead-letters-open').length - before).toBe(2);
  });

  it('fires on the activity error rate over the window only with enough attempts, then recovers', async () => {
    let clock = 0;
    const totals = { attempts: 0, failures: 0 };
    const trends = monitor(
      { deadLettersOpen: async () => 0, attemptTotals: () => ({ ...totals }) },
      () => clock,
    );
    const step = async (attempts: number, failures: number) => {
      clock += 10_000;
      totals.attempts += attempts;
      totals.failures += failures;
      return (await trends.check()).map((a) => a.state);
    };
    expect(await step(0, 0)).toEqual([]);
    expect(await step(4, 4)).toEqual([]); // 100% but only 4 attempts
    expect(await step(8, 6)).toEqual(['firing']); // 10 of 12 failed
    expect(await step(10, 5)).toEqual([]); // still 15 of 22: firing, no repeat
    for (let i = 0; i < 6; i++) await step(20, 0); // the failures age out of the 60 s window
    expect(
      trendAlerts('activity-error-rate')
        .map((r) => (r.body as { fields: { state: string } }).fields.state)
        .slice(-2),
    ).toEqual(['firing', 'recovered']);
  });
});
