/**
 * Determinism guard: recorded histories of representative runs must replay against the current workflow code
 * without a nondeterminism error: today's (test/fixtures/histories, refreshed with `npm run record-histories`)
 * and those recorded by 0.1 to 0.5 (test/fixtures/histories/0.1…0.5, kept: runs of those versions may still be
 * open).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const EXPECTED_0_2 = [
  'dead-lettered',
  'group-updated',
  'message-delivered',
  'message-failed',
  'message-received-auto-reply',
  'retried-activity',
  'session-connected',
  'session-disconnected-alert',
  'unhandled-type',
];
/** 0.3 added the dead letter's alert group, a storage step failing for good, and one waiting out an outage. */
const EXPECTED_0_3 = [
  ...EXPECTED_0_2,
  'dead-letter-alert-group',
  'invalid-stored-event',
  'storage-outage',
].sort();
/** 0.4 ran the send and the alert as local activities first: a send handed to an ordinary activity. */
const EXPECTED_0_4 = [...EXPECTED_0_3, 'send-outage'].sort();
/** 0.5: session events wake the session's watchdog (no alert of their own); the watchdog's own histories. */
const EXPECTED_0_5 = [
  ...EXPECTED_0_4.filter((name) => name !== 'session-disconnected-alert'),
  'session-disconnected-watchdog',
  'session-watchdog-flapping',
  'session-watchdog-outage',
].sort();
/** 0.5.1: the watchdog counts flapping in event-time order (its `flaps-in-event-order` marker); the same set. */
const EXPECTED_CURRENT = EXPECTED_0_5;

describe.each([
  ['current', DIR, EXPECTED_CURRENT],
  ['0.5', path.join(DIR, '0.5'), EXPECTED_0_5],
  ['0.4', path.join(DIR, '0.4'), EXPECTED_0_4],
  ['0.3', path.join(DIR, '0.3'), EXPECTED_0_3],
  ['0.2', path.join(DIR, '0.2'), EXPECTED_0_2],
  ['0.1', path.join(DIR, '0.1'), EXPECTED_0_2],
])('replay of recorded histories (%s)', (_shape, dir, EXPECTED) => {
  it('replays every representative history against the current workflow code', async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(EXPECTED);
    const histories = files.map((file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    )) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(EXPECTED.length);
  });
});
