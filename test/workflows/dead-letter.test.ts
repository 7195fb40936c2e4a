/**
 * Retries and the compensation path: Vesper 500s are retried until they pass; a 400 dead-letters the run (record,
 * its alert group's opening alert, Failed with search attributes); a `temporal workflow reset` after the fix
 * completes it and resolves the dead letter.
 */
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ensureTemporalCli } from '../../scripts/lib/provision';
import { run } from '../../scripts/lib/run';
import { receivedMessage } from '../helpers/events';
import { uniqueId } from '../helpers/ids';
import { until } from '../helpers/wait';
import { startPipeline, type Pipeline } from '../helpers/pipeline';
import { redisKeys } from '../../src/redis-keys';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(() => p?.close());

const sendsFor = (session: string) =>
  p.vesper.requests.filter((r) => (r.body as { session?: string }).session === session);
/** The alerts that name this run: its alert group's, while it is the latest dead letter of the group. */
const alertsFor = (workflowId: string) =>
  p.alerts.requests.filter(
    (r) => (r.body as { fields?: { latestWorkflowId?: string } }).fields?.latestWorkflowId === workflowId,
  );

describe('retries and dead letters', () => {
  it('retries Vesper 500s, then succeeds with one message sent', async () => {
    const session = uniqueId('s');
    p.vesper.replyNext({ status: 500 }, { status: 503 });
    const handle = await p.start(receivedMessage(session, 'M1'));
    expect(await handle.result()).toMatchObject({ autoReply: 'sent' });
    expect(sendsFor(session).map((r) => r.duplicate)).toEqual([false, false, false]);
    expect(
      p.vesper.effects().filter((r) => (r.body as { session: string }).session === session),
    ).toHaveLength(1);
    expect(await p.redis.exists(redisKeys.deadLetter(handle.workflowId))).toBe(0);
  });

  it('dead-letters a 400, alerts through its group, fails visibly; a reset after the fix completes it and resolves the letter', async () => {
    const session = uniqueId('s');
    p.vesper.replyNext({ status: 400, body: { error: 'invalid number' } });
    const handle = await p.start(receivedMessage(session, 'M1'));
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toMatch(
      /^sendAutoReply failed for good: Vesper send: HTTP 400/,
    );

    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
    const attributes = Object.fromEntries(
      description.typedSearchAttributes.getAll().map((a) => [a.key.name, a.value]),
    );
    expect(attributes).toMatchObject({
      DeadLettered: true,
      FailedStep: 'sendAutoReply',
      EventType: 'message.received',
    });

    const letter = await p.redis.hgetall(redisKeys.deadLetter(handle.workflowId));
    expect(letter).toMatchObject({
      status: 'open',
      workflowId: handle.workflowId,
      runId: description.runId,
      eventKey: handle.workflowId,
      step: 'sendAutoReply',
      errorType: 'VesperRejected',
      attempts: '1',
      retryState: 'NON_RETRYABLE_FAILURE',
    });
    expect(JSON.parse(letter.event ?? '{}')).toMatchObject({
      type: 'message.received',
      data: { sessionId: session },
    });
    expect(await p.redis.zscore(redisKeys.deadLettersOpen, handle.workflowId)).not.toBeNull();
    // the group opens with one alert, and says it closed once none joined for its window (3 s here)
    await until('the group to open and close', () => alertsFor(handle.workflowId).length === 2);
    expect(alertsFor(handle.workflowId).map((r) => r.body)).toMatchObject([
      {
        text: expect.stringContaining('npm run dlq -- list --step sendAutoReply'),
        fields: { kind: 'dead-letter-group', state: 'opened', step: 'sendAutoReply', count: '1' },
      },
      { fields: { kind: 'dead-letter-group', state: 'closed', count: '1' } },
    ]);
    // status and error code only: the stand-in's body text is nowhere in the alert
    expect(JSON.stringify(alertsFor(handle.workflowId))).not.toContain('invalid number');

    // the cause is fixed (the stand-in answers 200 again); the operator redrives with the CLI from the runbook
    const temporal = await ensureTemporalCli();
    const reset = await run(temporal.path, [
      ...[
        'workflow',
        'reset',
        '-w',
        handle.workflowId,
        '-t',
        'FirstWorkflowTask',
        '--reason',
        'redrive after fix',
      ],
      ...['--address', inject('temporalAddress')],
    ]);
    expect(reset.code, reset.stderr).toBe(0);

    const redriven = p.env.client.workflow.getHandle(handle.workflowId);
    expect(await redriven.result()).toMatchObject({ autoReply: 'sent' });
    const after = await redriven.describe();
    expect(after.runId).not.toBe(description.runId);
    expect(after.status.name).toBe('COMPLETED');
    expect(await p.redis.hgetall(redisKeys.deadLetter(handle.workflowId))).toMatchObject({
      status: 'resolved',
      resolvedByRunId: after.runId,
    });
    expect(await p.redis.zscore(redisKeys.deadLettersOpen, handle.workflowId)).toBeNull();
    expect(await p.redis.zscore(redisKeys.deadLettersAll, handle.workflowId)).not.toBeNull();
    expect(alertsFor(handle.workflowId)).toHaveLength(2);
    expect(
      p.vesper.effects().filter((r) => (r.body as { session: string }).session === session),
    ).toHaveLength(1);
  });
});
