/**
 * One fault, one conversation: dead letters of the same (step, error type) join one alert group — one alert opens
 * it, later ones are summed up in updates, one says it closed — on the real dev server (windows of seconds here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterGroupId } from '../../src/workflows/contracts';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { until } from '../helpers/wait';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p?.close());

interface GroupAlert {
  text: string;
  fields: Record<string, string>;
}

const groupAlerts = (step: string, errorType: string) =>
  p.alerts.requests
    .map((r) => r.body as GroupAlert)
    .filter((a) => a.fields.group === deadLetterGroupId(p.worker.options.taskQueue, step, errorType));

describe('dead-letter alert groups', () => {
  it('twelve refused replies send one opening alert, at most a few updates and one closing alert with the count', async () => {
    const session = uniqueId('s');
    const refused = 12;
    p.vesper.setMode('4xx');
    try {
      const handles = await Promise.all(
        Array.from({ length: refused }, (_, i) => p.start(receivedMessage(session, `M${i}`))),
      );
      const failures = await Promise.all(
        handles.map((h) =>
          h.result().then(
            () => 'ok',
            () => 'failed',
          ),
        ),
      );
      expect(failures).toEqual(Array(refused).fill('failed'));
    } finally {
      p.vesper.setMode('ok');
    }

    const alerts = () => groupAlerts('sendAutoReply', 'VesperRejected');
    await until('the group to close', () => alerts().some((a) => a.fields.state === 'closed'));
    const states = alerts().map((a) => a.fields.state);
    expect(states[0]).toBe('opened');
    expect(states.filter((s) => s === 'opened')).toHaveLength(1);
    expect(states.at(-1)).toBe('closed');
    expect(states.length).toBeLessThanOrEqual(4); // opened, an update or two, closed: not twelve
    const closed = alerts().at(-1);
    expect(closed?.fields.count).toBe(String(refused));
    expect(closed?.text).toMatch(
      /^Dead-letter group closed: sendAutoReply failing with VesperRejected, 12 from /,
    );
    // every dead letter is counted once across the alerts
    expect(alerts().reduce((sum, a) => sum + Number(a.fields.new), 0)).toBe(refused);
    expect(alerts()[0]?.text).toContain('HTTP 422 (number_not_on_whatsapp)');

    // a later fault of the same kind opens a new group: its own opening alert
    p.vesper.replyNext({ status: 422, body: { error: 'number_not_on_whatsapp' } });
    await (await p.start(receivedMessage(session, 'later'))).result().catch(() => undefined);
    await until(
      'a second group to open',
      () => alerts().filter((a) => a.fields.state === 'opened').length === 2,
    );
  });
});
