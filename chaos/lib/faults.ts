/**
 * The fault plan: each fault at a random event of the load (seeded), fired as the sender dispatches that event.
 * Process faults (worker kill, Temporal and Redis restarts) run one at a time, each after the previous one has
 * recovered; the Vesper outage is external and may overlap them.
 */
import type { ChaosOptions } from './options';
import { randomIntBetween, sleep, type Random } from './rng';
import type { ChaosTarget } from './target';

/** What a target does to one of its processes; the Vesper outage is the stand-in's, for every target. */
export type ProcessFaultKind =
  | 'worker-kill'
  | 'temporal-restart'
  | 'redis-restart'
  | 'redis-outage'
  // the production topology's own (cluster-target.ts)
  | 'receiver-kill'
  | 'history-kill'
  | 'postgres-restart';
export type FaultKind = ProcessFaultKind | 'vesper-outage';

export interface PlannedFault {
  kind: FaultKind;
  /** Fired when the sender dispatches this event (0-based). */
  atEvent: number;
}

export interface InjectedFault extends PlannedFault {
  /** Seconds since the load started. */
  startedAtS: number;
  /** Back to normal: the process answers again, or Vesper answers 2xx again. */
  recoveredAtS: number;
  detail: string;
  error?: string;
}

/** Between 5 % and 85 % of the load, so every fault meets traffic before and after it. */
export function planFaults(options: ChaosOptions, random: Random): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const add = (kind: FaultKind, count: number) => {
    for (let i = 0; i < count; i++) {
      const atEvent = randomIntBetween(
        random,
        Math.floor(options.events * 0.05),
        Math.ceil(options.events * 0.85),
      );
      plan.push({ kind, atEvent });
    }
  };
  add('worker-kill', options.workerKills);
  add('temporal-restart', options.temporalRestarts);
  add('redis-restart', options.redisRestarts);
  add('redis-outage', options.redisOutages);
  add('receiver-kill', options.receiverKills);
  add('history-kill', options.historyKills);
  add('postgres-restart', options.postgresRestarts);
  add('vesper-outage', options.vesperOutages);
  return plan.sort((a, b) => a.atEvent - b.atEvent);
}

export class FaultInjector {
  private readonly fired: Array<Promise<InjectedFault>> = [];
  private processFaults: Promise<unknown> = Promise.resolve();
  private readonly start = performance.now();

  constructor(
    private readonly stack: ChaosTarget,
    private readonly plan: PlannedFault[],
    private readonly options: ChaosOptions,
    private readonly log: (line: string) => void,
  ) {}

  /** The sender's hook: fires the faults planned at this event. */
  readonly onDispatch = (index: number): void => {
    for (const fault of this.plan.filter((f) => f.atEvent === index)) this.fired.push(this.fire(fault));
  };

  /** Every fired fault, once each has recovered. */
  settled(): Promise<InjectedFault[]> {
    return Promise.all(this.fired);
  }

  private fire(fault: PlannedFault): Promise<InjectedFault> {
    if (fault.kind === 'vesper-outage') return this.run(fault, () => this.vesperOutage());
    const kind = fault.kind;
    const action = () => this.stack.fault(kind);
    const next = this.processFaults.then(() => this.run(fault, action));
    this.processFaults = next;
    return next;
  }

  private async run(fault: PlannedFault, action: () => Promise<string>): Promise<InjectedFault> {
    const startedAtS = this.now();
    const wall = new Date().toISOString().slice(11, 19);
    this.log(`fault: ${fault.kind} at event ${fault.atEvent} (${startedAtS} s, ${wall} UTC)`);
    try {
      const detail = await action();
      this.log(`fault: ${fault.kind} recovered: ${detail}`);
      return { ...fault, startedAtS, recoveredAtS: this.now(), detail };
    } catch (err) {
      this.log(`fault: ${fault.kind} FAILED: ${(err as Error).message}`);
      return { ...fault, startedAtS, recoveredAtS: this.now(), detail: '', error: (err as Error).message };
    }
  }

  /** Vesper answers every send 500 for the outage's length (retries after a 500 are no duplicates). */
  private async vesperOutage(): Promise<string> {
    const before = this.stack.vesper.requests.length;
    this.stack.vesper.setMode('5xx');
    await sleep(this.options.vesperOutageSeconds * 1000);
    this.stack.vesper.setMode('ok');
    const refused = this.stack.vesper.requests.slice(before).filter((r) => !r.effect && !r.duplicate).length;
    return `${this.options.vesperOutageSeconds} s of HTTP 500; ${refused} sends refused`;
  }

  private now(): number {
    return Math.round((performance.now() - this.start) / 100) / 10;
  }
}
