/** The chaos run's table, and its result file in chaos/results/<date>-<seed>.json (formatted as the repo's JSON). */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import type { ChaosResult } from './result';

const n = (value: number) => value.toLocaleString('en-US');

export function formatTable(r: ChaosResult): string {
  const a = r.load.answers;
  const d = r.duplicated;
  const rows: Array<[string, string]> = [
    ['seed', String(r.seed)],
    [
      'load',
      `${n(r.load.sent)} events sent (${n(r.load.distinct)} distinct) in ${r.load.seconds} s at ${r.settings.ratePerSecond}/s, ≤ ${r.settings.concurrency} in flight`,
    ],
    [
      'HTTP attempts',
      `${n(r.load.httpAttempts)}: 2xx ${n(a['2xx'])}, 503 ${n(a['503'])}, other ${n(a.other + a.connectionErrors)} (connection errors ${n(a.connectionErrors)}${Object.entries(
        a.otherByStatus ?? {},
      )
        .map(([st, c]) => `, HTTP ${st}: ${n(c)}`)
        .join('')}); sender gave up on ${r.load.gaveUp}`,
    ],
    ...r.faults.map((f): [string, string] => [
      `fault: ${f.kind}`,
      `at event ${n(f.atEvent)}, ${f.startedAtS} s → ${f.recoveredAtS} s: ${f.error ? `FAILED ${f.error}` : f.detail}`,
    ]),
    [
      'unplanned exits',
      r.unplannedExits.length === 0
        ? '0'
        : r.unplannedExits
            .map((e) => `${e.process} (code ${e.code}) at ${e.at}${e.restarted ? ', started again' : ''}`)
            .join('; '),
    ],
    [
      'events lost',
      `${r.lost.events} (never accepted ${r.lost.neverAccepted}, effects missing ${r.lost.effectsMissing})`,
    ],
    [
      'effects duplicated',
      `${d.effects} (second auto-reply to a message ${d.vesperDuplicateEffects}, unexpected replies ${d.unexpectedReplies}, alert duplicates ${d.alertDuplicates + d.unexpectedAlerts}, extra saved messages ${d.extraSavedMessages}, duplicate history entries ${d.duplicateHistoryEntries}, extra workflow runs ${d.extraWorkflowRuns})`,
    ],
    [
      'auto-replies',
      `${n(r.autoReplies.sent)} sent of ${n(r.autoReplies.expected)} expected, ${r.autoReplies.wrong} wrong; ${n(r.autoReplies.refusedDuringOutage)} sends answered 500 during the outage; ${r.autoReplies.resendsAbsorbedByIdempotencyKey} same-key resends absorbed by Idempotency-Key`,
    ],
    [
      'alerts',
      `${r.alerts.resendsAfterCrash ?? 0} resent (same Idempotency-Key) after a kill mid-send; caused by the faults: dead-letter groups ${r.alerts.deadLetter}, trends ${JSON.stringify(r.alerts.trend)}, ${r.alerts.perFault.toFixed(1)} per fault`,
    ],
    [
      'sessions',
      `${r.sessions.downAlerted} of ${r.sessions.staysDown} that stay down alerted down once, ${r.sessions.escalated} escalated once, ${r.sessions.restarted} restarted through Vesper; ${r.sessions.flappingAlerted} of ${r.sessions.flapping} flapping alerted once; ${r.sessions.extra} session alerts too many${r.sessions.examples.length ? ` (${r.sessions.examples.join('; ')})` : ''}`,
    ],
    ['final statuses', `${n(r.statuses.messagesChecked)} messages checked, ${r.statuses.wrong} wrong`],
    [
      'dead letters',
      `${r.deadLetters.open} open; ${r.deadLetters.ever} ever (outages are waited out: each would be a good event lost)`,
    ],
    [
      'workflows',
      `${n(r.workflows.completed)} completed for ${n(r.load.distinct)} distinct events, ${r.workflows.running} running, ${r.workflows.failed} failed runs`,
    ],
    [
      'receiver 2xx',
      `${n(r.receiver.answered2xx)} (202 ${n(r.receiver.accepted)}, 200 duplicate ${n(r.receiver.duplicate)}) ≥ ${n(r.load.distinct)} distinct`,
    ],
    ['time to drain', `${r.drain.seconds} s after the load${r.drain.timedOut ? ' (TIMED OUT)' : ''}`],
    ['verdict', r.passed ? 'PASS: nothing lost, nothing duplicated' : `FAIL: ${r.problems.join('; ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)} | ${v}`);
  for (const example of [...r.lost.examples, ...r.duplicated.examples, ...r.statuses.examples])
    lines.push(`${''.padEnd(width)} | ${example}`);
  return lines.join('\n');
}

/** Writes the result (no per-event data) and returns its path. */
export async function writeResult(r: ChaosResult, dir: string): Promise<string> {
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-${r.seed}.json`);
  mkdirSync(dir, { recursive: true });
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version };
  const json = JSON.stringify({ at: new Date().toISOString(), machine, ...r });
  const config = await prettier.resolveConfig(file);
  writeFileSync(file, await prettier.format(json, { ...config, parser: 'json' }));
  return file;
}
