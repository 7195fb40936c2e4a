/**
 * What a chaos run breaks: the dev-server stack (stack.ts) or the production topology (cluster-target.ts). The run
 * sends to `receiverUrl`, breaks processes through `fault()`, then reads Redis, Temporal and the stand-ins.
 */
import type { StandIn } from '../../support/stand-in';
import type { ProcessFaultKind } from './faults';

export interface UnplannedExit {
  process: string;
  code: number | null;
  at: string;
  lastOutput: string;
  /** Started again by a supervisor (the compose file's restart policy, or the dev stack's worker restart). */
  restarted: boolean;
}

export interface ReceiverAnswers {
  accepted: number;
  duplicate: number;
}

/** Sums the 2xx outcomes in receivers' /metrics. */
export async function scrapeReceiverAnswers(adminOrigins: string[]): Promise<ReceiverAnswers> {
  const texts = await Promise.all(
    adminOrigins.map(async (origin) => (await fetch(`${origin}/metrics`)).text()),
  );
  const lines = texts.join('\n').split('\n');
  const sum = (outcome: string) =>
    lines
      .filter((l) => l.startsWith('whatsapp_webhooks_received_total{') && l.includes(`outcome="${outcome}"`))
      .reduce((total, l) => total + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { accepted: sum('accepted'), duplicate: sum('duplicate') };
}

/** Records an exit nobody asked for and logs the process's last output. */
export function recordUnplannedExit(
  exits: UnplannedExit[],
  exit: { label: string; code: number | null; lastOutput: string; restarted: boolean },
  log: (line: string) => void,
): void {
  exits.push({
    process: exit.label,
    code: exit.code,
    at: new Date().toISOString(),
    lastOutput: exit.lastOutput.split('\n').slice(-5).join('\n'),
    restarted: exit.restarted,
  });
  log(
    `UNPLANNED exit of ${exit.label} (code ${String(exit.code)})${exit.restarted ? ', started again' : ''}; ` +
      `last output:\n${exit.lastOutput}`,
  );
}

export interface ChaosTarget {
  readonly vesper: StandIn;
  readonly alerts: StandIn;
  /** Sent to the receivers and used by the sender; never printed. */
  readonly webhookSecret: string;
  readonly receiverUrl: string;
  /** The receivers' own count of the events they answered 2xx (accepted, or a duplicate of one). */
  receiverAnswers(): Promise<ReceiverAnswers>;
  readonly redisAddress: string;
  readonly temporalAddress: string;
  readonly unplannedExits: UnplannedExit[];
  /** Worker processes started, the first ones included. */
  readonly workerStarts: number;
  /** Breaks one process and resolves, with what happened, once it answers again; rejects for a fault it lacks. */
  fault(kind: ProcessFaultKind): Promise<string>;
  stop(): Promise<void>;
}
