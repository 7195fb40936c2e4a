/** The figures of a chaos run and its verdict: nothing lost, nothing doubled, nothing left open. */
import type { RedisFindings } from './check-redis';
import type { SessionFindings } from './sessions';
import type { StandInFindings } from './check-stand-ins';
import type { DrainResult } from './drain';
import type { Expectations } from './expectations';
import type { InjectedFault } from './faults';
import type { ChaosOptions } from './options';
import type { Delivery, LoadStats } from './sender';
import type { UnplannedExit } from './stack';

export interface ChaosResult {
  seed: number;
  settings: Omit<ChaosOptions, 'seed'>;
  load: {
    sent: number;
    distinct: number;
    httpAttempts: number;
    answers: {
      '2xx': number;
      '503': number;
      connectionErrors: number;
      other: number;
      /** The `other` answers by HTTP status. */
      otherByStatus: Record<string, number>;
    };
    gaveUp: number;
    seconds: number;
  };
  faults: InjectedFault[];
  workerStarts: number;
  unplannedExits: UnplannedExit[];
  lost: { events: number; neverAccepted: number; effectsMissing: number; examples: string[] };
  duplicated: {
    effects: number;
    vesperDuplicateEffects: number;
    unexpectedReplies: number;
    alertDuplicates: number;
    unexpectedAlerts: number;
    extraSavedMessages: number;
    duplicateHistoryEntries: number;
    extraWorkflowRuns: number;
    examples: string[];
  };
  autoReplies: {
    expected: number;
    sent: number;
    wrong: number;
    refusedDuringOutage: number;
    /** Same-key resends after a send whose success the worker had not recorded (a kill in between). */
    resendsAbsorbedByIdempotencyKey: number;
  };
  /**
   * Alerts the faults caused (dead-letter groups, trends by `<trend>:<state>`), apart from the session watchdogs'
   * (`sessions`); `perFault` is their total over the faults injected.
   */
  alerts: {
    /** An alert in flight when its worker was SIGKILLed, sent again by the retry (same Idempotency-Key). */
    resendsAfterCrash: number;
    deadLetter: number;
    trend: Record<string, number>;
    perFault: number;
  };
  /** The session watchdogs: sessions that stay down alerted once and restarted, the flapping one alerted once. */
  sessions: SessionFindings;
  statuses: { messagesChecked: number; wrong: number; examples: string[] };
  deadLetters: { open: number; ever: number };
  workflows: { running: number; completed: number; failed: number };
  receiver: { accepted: number; duplicate: number; answered2xx: number };
  drain: { seconds: number; timedOut: boolean };
  problems: string[];
  passed: boolean;
}

export interface RunFigures {
  options: ChaosOptions;
  expected: Expectations;
  load: { deliveries: Delivery[]; stats: LoadStats };
  faults: InjectedFault[];
  drained: DrainResult;
  redisFindings: RedisFindings;
  standIns: StandInFindings;
  sessions: SessionFindings;
  workflows: ChaosResult['workflows'];
  receiver: { accepted: number; duplicate: number };
  workerStarts: number;
  unplannedExits: UnplannedExit[];
}

export function summarise(f: RunFigures): ChaosResult {
  const { seed, ...settings } = f.options;
  const distinct = f.expected.distinct.length;
  const neverAccepted = f.load.deliveries.filter(
    (d) => !d.redelivery && (d.finalStatus < 200 || d.finalStatus >= 300),
  );
  const lostKeys = new Map<string, string>(
    neverAccepted.map((d) => [d.eventKey, 'never accepted (sender gave up)']),
  );
  for (const [key, why] of [...f.redisFindings.missing, ...f.standIns.missing])
    if (!lostKeys.has(key)) lostKeys.set(key, why);
  const byStatus = f.load.stats.byStatus;
  const count = (pick: (status: number) => boolean) =>
    Object.entries(byStatus).reduce((n, [status, c]) => n + (pick(Number(status)) ? c : 0), 0);
  const s = f.standIns;
  const r = f.redisFindings;
  const duplicated = {
    vesperDuplicateEffects: s.vesperDuplicateEffects,
    unexpectedReplies: s.unexpectedReplies,
    alertDuplicates: s.alertDuplicates,
    // session alerts beyond what the events call for (sessions.ts)
    unexpectedAlerts: f.sessions.extra,
    extraSavedMessages: r.extraSavedMessages,
    duplicateHistoryEntries: r.duplicateHistoryEntries,
    extraWorkflowRuns: Math.max(0, f.workflows.completed - distinct),
  };
  const answered2xx = f.receiver.accepted + f.receiver.duplicate;
  const result: ChaosResult = {
    seed,
    settings,
    load: {
      sent: f.load.deliveries.length,
      distinct,
      httpAttempts: f.load.stats.attempts,
      answers: {
        '2xx': count((st) => st >= 200 && st < 300),
        '503': count((st) => st === 503),
        connectionErrors: count((st) => st === 0),
        other: count((st) => st !== 0 && st !== 503 && (st < 200 || st >= 300)),
        otherByStatus: Object.fromEntries(
          Object.entries(byStatus).filter(([st]) => Number(st) !== 0 && Number(st) !== 503 && !/^2/.test(st)),
        ),
      },
      gaveUp: f.load.stats.gaveUp,
      seconds: Math.round(f.load.stats.durationMs / 1000),
    },
    faults: f.faults,
    workerStarts: f.workerStarts,
    unplannedExits: f.unplannedExits,
    lost: {
      events: lostKeys.size,
      neverAccepted: neverAccepted.length,
      effectsMissing: lostKeys.size - neverAccepted.length,
      examples: [...lostKeys].slice(0, 5).map(([key, why]) => `${key}: ${why}`),
    },
    duplicated: {
      effects: Object.values(duplicated).reduce((a, b) => a + b, 0),
      ...duplicated,
      examples: s.duplicateExamples,
    },
    autoReplies: {
      expected: f.expected.replies.size,
      sent: s.repliesSent,
      wrong: s.wrongReplies,
      refusedDuringOutage: s.vesperRefused,
      resendsAbsorbedByIdempotencyKey: s.vesperSameKeyResends,
    },
    alerts: {
      resendsAfterCrash: s.alertResendsAfterCrash,
      deadLetter: s.deadLetterAlerts,
      trend: s.trendAlerts,
      perFault:
        (s.deadLetterAlerts + Object.values(s.trendAlerts).reduce((a, b) => a + b, 0)) /
        Math.max(1, f.faults.length),
    },
    sessions: f.sessions,
    statuses: {
      messagesChecked: r.messagesChecked,
      wrong: r.wrongStatuses.length,
      examples: r.wrongStatuses.slice(0, 5),
    },
    deadLetters: { open: r.openDeadLetters, ever: r.deadLettersEver },
    workflows: f.workflows,
    receiver: { ...f.receiver, answered2xx },
    drain: { seconds: Math.round(f.drained.drainMs / 1000), timedOut: f.drained.timedOut },
    problems: [],
    passed: false,
  };
  result.problems = problemsOf(result);
  result.passed = result.problems.length === 0;
  return result;
}

/** A fault may fire and clear a trend or two (firing, recovered): a handful, never one per event. */
export const MAX_ALERTS_PER_FAULT = 4;

function problemsOf(r: ChaosResult): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => ok || problems.push(problem);
  expect(r.lost.events === 0, `${r.lost.events} events lost`);
  expect(r.duplicated.effects === 0, `${r.duplicated.effects} effects duplicated`);
  expect(r.autoReplies.wrong === 0, `${r.autoReplies.wrong} auto-replies with the wrong recipient or text`);
  expect(r.statuses.wrong === 0, `${r.statuses.wrong} messages with the wrong final status`);
  // every event of the load can succeed: outages are waited out, so any dead letter is a good event lost to one
  expect(r.deadLetters.ever === 0, `${r.deadLetters.ever} good events dead-lettered`);
  expect(
    r.alerts.perFault <= MAX_ALERTS_PER_FAULT,
    `${r.alerts.perFault.toFixed(1)} alerts per fault (at most ${MAX_ALERTS_PER_FAULT}: a fault is reported, not each event it touches)`,
  );
  const ss = r.sessions;
  expect(
    ss.downAlerted === ss.staysDown,
    `${ss.staysDown - ss.downAlerted} of ${ss.staysDown} sessions that stay down not alerted down exactly once`,
  );
  expect(
    ss.escalated === ss.staysDown,
    `${ss.staysDown - ss.escalated} of ${ss.staysDown} sessions that stay down not escalated exactly once`,
  );
  expect(
    ss.restarted === ss.staysDown,
    `${ss.staysDown - ss.restarted} of ${ss.staysDown} sessions that stay down never restarted through Vesper`,
  );
  expect(
    ss.flappingAlerted === ss.flapping,
    `${ss.flapping - ss.flappingAlerted} flapping sessions without exactly one flapping alert`,
  );
  expect(r.workflows.running === 0, `${r.workflows.running} workflows still running`);
  expect(
    r.workflows.completed === r.load.distinct,
    `${r.workflows.completed} workflows completed for ${r.load.distinct} distinct events`,
  );
  expect(
    r.receiver.answered2xx >= r.load.distinct,
    `the receiver answered 2xx ${r.receiver.answered2xx} times for ${r.load.distinct} distinct events`,
  );
  expect(!r.drain.timedOut, 'the drain timed out');
  expect(!r.faults.some((f) => f.error), 'a fault could not be injected');
  return problems;
}
