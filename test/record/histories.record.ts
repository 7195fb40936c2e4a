/**
 * Records one history per representative run for the determinism guard (test/workflows/replay.test.ts):
 * each event type's happy path, a session watchdog's outage and a flapping one, a retried activity, a dead-lettered run and its alert group, a storage step that
 * failed for good, and one that waited out a Redis outage. A redriven (reset) run is not
 * among them: the offline replayer gives a replayed run the original run ID, so the workflow's
 * "am I a reset?" check (runId !== originalExecutionRunId) reads differently there than on a real worker.
 * Run with `npm run record-histories` after a deliberate change to the workflow's commands.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VesperEvent } from '../../src/workflows/contracts';
import { receivedMessage, statusEvent } from '../helpers/events';
import { loadFixture } from '../helpers/fixtures';
import { OwnRedis } from '../helpers/own-redis';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { until } from '../helpers/wait';
import { deadLetterGroupId, sessionStateQuery } from '../../src/workflows/contracts';

const OUT_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const SESSION = 'replay-session';

let p: Pipeline;
let redis: OwnRedis;
beforeAll(async () => {
  // a Redis of its own: the storage-outage scenario stops it
  redis = await OwnRedis.start();
  p = await startPipeline(() => ({}), { redisUrl: redis.url });
});
afterAll(async () => {
  await p?.close();
  await redis?.down();
});

async function save(name: string, handle: WorkflowHandle): Promise<void> {
  const history = historyToJSON(await handle.fetchHistory());
  writeFileSync(path.join(OUT_DIR, `${name}.json`), `${JSON.stringify(JSON.parse(history), null, 2)}\n`);
}

async function record(name: string, event: VesperEvent): Promise<WorkflowHandle> {
  const handle = await p.start(event);
  await handle.result().catch(() => undefined);
  await save(name, handle);
  return handle;
}

it('records the representative histories', async () => {
  const stamp = Date.now();
  await record('message-received-auto-reply', receivedMessage(SESSION, `M${stamp}`));
  await record('message-delivered', statusEvent('delivered', SESSION, `M${stamp}`, 1710495005));
  await record(
    'message-failed',
    statusEvent('failed', SESSION, `F${stamp}`, 1710495005, { error: 'blocked' }),
  );
  await record('session-connected', {
    type: 'session.connected',
    timestamp: new Date(stamp).toISOString(),
    data: { sessionId: SESSION },
  });
  // 0.5: the disconnect wakes the session's watchdog instead of alerting (its own history below)
  const watched = `watched-${stamp}`;
  p.vesper.route(`/sessions/${watched}/status`, () => ({ status: 200, body: { status: 'disconnected' } }));
  await record('session-disconnected-watchdog', {
    ...loadFixture('session-disconnected', watched),
    timestamp: new Date(stamp).toISOString(),
  });
  // its outage: the grace, a down alert, restarts and status checks, the escalation, then a connect
  const watchdog = p.watchdog(watched);
  await until('the escalation', async () =>
    Boolean((await watchdog.query(sessionStateQuery)).episode?.escalatedAt),
  );
  await (
    await p.start({
      type: 'session.connected',
      timestamp: new Date().toISOString(),
      data: { sessionId: watched },
    })
  ).result();
  await watchdog.result();
  await save('session-watchdog-outage', watchdog);

  // a flapping session: three quick drops, each a blip, one flapping alert, then stable. Reordered as two
  // receivers deliver them: the connects at 1 s and 3 s arrive after the next drop, the last one completing the run
  const flapping = `flapping-${stamp}`;
  const arrival: [string, number][] = [
    ['session.disconnected', 0],
    ['session.disconnected', 2],
    ['session.connected', 1],
    ['session.disconnected', 4],
    ['session.connected', 5],
    ['session.connected', 3],
  ];
  for (const [type, s] of arrival) {
    const run = await p.start({
      type,
      timestamp: new Date(stamp + s * 1000).toISOString(),
      data: { sessionId: flapping },
    });
    await run.result();
  }
  await p.watchdog(flapping).result();
  await save('session-watchdog-flapping', p.watchdog(flapping));
  await record('group-updated', {
    type: 'group.updated',
    timestamp: new Date(stamp).toISOString(),
    data: { groupId: `G${stamp}` },
  });
  await record('unhandled-type', {
    type: 'call.offer',
    timestamp: new Date(stamp).toISOString(),
    data: { callId: `C${stamp}` },
  });

  p.vesper.replyNext({ status: 500 });
  await record('retried-activity', receivedMessage(SESSION, `R${stamp}`, '905550000001@s.whatsapp.net'));

  p.vesper.replyNext({ status: 400, body: { error: 'invalid number' } });
  const failed = await record(
    'dead-lettered',
    receivedMessage(SESSION, `D${stamp}`, '905550000002@s.whatsapp.net'),
  );
  expect((await failed.describe()).status.name).toBe('FAILED');

  // the dead letter's alert group: opened, then closed after its window (seconds in tests)
  const group = p.env.client.workflow.getHandle(
    deadLetterGroupId(p.worker.options.taskQueue, 'sendAutoReply', 'VesperRejected'),
  );
  await group.result();
  await save('dead-letter-alert-group', group);

  // a local storage step failing for good (its bare failure) is dead-lettered too
  const invalid = await record('invalid-stored-event', {
    type: 'message.delivered',
    timestamp: new Date(stamp).toISOString(),
    data: { sessionId: SESSION, status: 'delivered' },
  });
  expect((await invalid.describe()).status.name).toBe('FAILED');

  // Redis down past the local attempts: the write waits as an ordinary activity, then completes
  await redis.down();
  const handle = await p.start(receivedMessage(SESSION, `O${stamp}`, '905550000003@s.whatsapp.net'));
  await until('saveMessage pending as an ordinary activity', async () =>
    Boolean(
      (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'saveMessage'),
    ),
  );
  await redis.up();
  await handle.result();
  await save('storage-outage', handle);

  // Vesper failing past the send's local attempts: the send goes on as an ordinary activity, then goes out
  p.vesper.setMode('5xx');
  const sending = await p.start(receivedMessage(SESSION, `V${stamp}`, '905550000004@s.whatsapp.net'));
  try {
    await until('sendAutoReply pending as an ordinary activity', async () =>
      Boolean(
        (await sending.describe()).raw.pendingActivities?.some(
          (a) => a.activityType?.name === 'sendAutoReply' && (a.attempt ?? 0) >= 2,
        ),
      ),
    );
  } finally {
    p.vesper.setMode('ok');
  }
  await sending.result();
  await save('send-outage', sending);
}, 180_000);
