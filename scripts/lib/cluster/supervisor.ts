/**
 * The compose file's `restart:` policies on this host. In containers, Docker starts a service again when its process
 * exits unless someone stopped it; without Docker, this does: an exit nobody asked for (not stop() or kill()) is
 * reported to the listeners and, when the service's policy says so, the process is started again after Docker's
 * delay (100 ms, doubling per restart up to 1 min; back to 100 ms once a process has run for 10 s).
 *
 * A Temporal role that cannot reach PostgreSQL while it starts exits; in production its restart policy brings it
 * back once the database answers, and so does this.
 */
import type { ManagedProcess } from '../managed-process';

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'always', 'on-failure', 'unless-stopped'];

/** What Docker's restart manager waits before a restart, and when a process counts as having run well. */
export const RESTART_DELAY = { firstMs: 100, maxMs: 60_000, resetAfterMs: 10_000 };

export interface UnplannedExit {
  label: string;
  code: number | null;
  /** ISO time of the exit. */
  at: string;
  /** The process's last output lines (those it keeps), to tell why. */
  lastOutput: string;
  /** Milliseconds until the policy starts it again; undefined when the policy does not (or the cluster stops). */
  restartInMs?: number;
}

type Log = (line: string) => void;

interface Service {
  policy: RestartPolicy;
  start: () => Promise<ManagedProcess>;
  delayMs: number;
  startedAt: number;
  /** Processes started so far, the first included. */
  starts: number;
  timer?: NodeJS.Timeout;
  /** A start under way: another waits for it rather than start a second process. */
  starting?: Promise<ManagedProcess>;
}

export class Supervisor {
  private readonly services = new Map<string, Service>();
  private readonly listeners = new Set<(exit: UnplannedExit) => void>();
  private closed = false;

  constructor(
    /** The current process of every label: the supervisor replaces an entry when it starts one again. */
    readonly processes: Map<string, ManagedProcess>,
    private readonly log: Log,
    private readonly delays: typeof RESTART_DELAY = RESTART_DELAY,
  ) {}

  /**
   * Starts `label` under `policy` (or watches `running`, a process already started by `start`'s owner); `start`
   * starts it again on start(label) and on the policy's restarts.
   */
  add(
    label: string,
    policy: RestartPolicy,
    start: () => Promise<ManagedProcess>,
    running?: ManagedProcess,
  ): Promise<ManagedProcess> {
    this.services.set(label, { policy, start, delayMs: this.delays.firstMs, startedAt: 0, starts: 0 });
    return this.begin(label, running);
  }

  /**
   * Starts the label's process again after a stop or kill of ours, or in place of a pending policy restart; while a
   * start is under way, waits for that one.
   */
  async start(label: string): Promise<ManagedProcess> {
    const service = this.service(label);
    if (this.closed) throw new Error(`${label}: the cluster is stopping`);
    // a start of the policy's that fails is not ours to report: ours is tried then
    if (service.starting) return service.starting.catch(() => this.start(label));
    if (this.processes.get(label)?.running) throw new Error(`${label} is running: stop it first`);
    service.delayMs = this.delays.firstMs; // as `docker start`: a fresh count
    return this.begin(label);
  }

  /**
   * Stops (`stop`) or SIGKILLs (`kill`) the label's process as asked for, so no policy restart follows; a pending
   * restart is dropped and a start under way is waited for first, so no process is left behind.
   */
  async halt(label: string, how: 'stop' | 'kill'): Promise<void> {
    const service = this.service(label);
    clearTimeout(service.timer);
    service.timer = undefined;
    await service.starting?.catch(() => undefined);
    const proc = this.processes.get(label);
    await (how === 'kill' ? proc?.kill('SIGKILL') : proc?.stop());
    // a restart scheduled meanwhile (a start that failed, or a crash reported just before) is dropped too
    clearTimeout(service.timer);
    service.timer = undefined;
  }

  /** How many processes the label has had: the first and every start since. */
  starts(label: string): number {
    return this.services.get(label)?.starts ?? 0;
  }

  /** Called with every exit nobody asked for, restarted or not. */
  onUnplannedExit(listener: (exit: UnplannedExit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** No restarts from now on (the cluster is stopping); resolves once starts under way have ended. */
  async close(): Promise<void> {
    this.closed = true;
    const starting: Promise<unknown>[] = [];
    for (const service of this.services.values()) {
      clearTimeout(service.timer);
      if (service.starting) starting.push(service.starting.catch(() => undefined));
    }
    await Promise.all(starting);
  }

  private service(label: string): Service {
    const service = this.services.get(label);
    if (!service) throw new Error(`${label} is not a process of this cluster`);
    return service;
  }

  private begin(label: string, running?: ManagedProcess): Promise<ManagedProcess> {
    const service = this.service(label);
    clearTimeout(service.timer);
    service.timer = undefined;
    const starting = (async () => {
      const proc = running ?? (await service.start());
      // closed while it started: it goes with the rest
      if (this.closed && !running) {
        await proc.stop();
        throw new Error(`${label}: the cluster is stopping`);
      }
      this.processes.set(label, proc);
      service.startedAt = performance.now();
      service.starts++;
      void proc.exited.then((code) => this.exited(label, proc, code));
      return proc;
    })();
    service.starting = starting;
    const done = () => {
      if (service.starting === starting) service.starting = undefined;
    };
    starting.then(done, done);
    return starting;
  }

  private exited(label: string, proc: ManagedProcess, code: number | null): void {
    const service = this.services.get(label);
    // a stop or kill of ours, a process already replaced, or the cluster going down: nothing to do
    if (!service || proc.stopRequested || this.closed || this.processes.get(label) !== proc) return;
    const restarts = service.policy === 'on-failure' ? code !== 0 : service.policy !== 'no';
    if (performance.now() - service.startedAt >= this.delays.resetAfterMs) {
      service.delayMs = this.delays.firstMs;
    }
    const exit: UnplannedExit = {
      label,
      code,
      at: new Date().toISOString(),
      lastOutput: proc.recentOutput(),
      restartInMs: restarts ? service.delayMs : undefined,
    };
    this.log(
      `${label} exited (code ${String(code)}) unasked; ` +
        (restarts ? `restart: ${service.policy}, starting it in ${service.delayMs} ms` : 'not restarted'),
    );
    for (const listener of this.listeners) listener(exit);
    if (restarts) this.scheduleRestart(label, proc, service);
  }

  /** After the service's delay, unless someone started or stopped it meanwhile; the delay doubles each time. */
  private scheduleRestart(label: string, exited: ManagedProcess, service: Service): void {
    service.timer = setTimeout(() => {
      service.timer = undefined;
      if (this.closed || service.starting || exited.stopRequested || this.processes.get(label) !== exited)
        return;
      this.begin(label).catch((err: Error) => {
        // a start that fails (PostgreSQL not ready in time, say) is one more failed run: wait longer, try again
        this.log(`${label} did not start again: ${err.message}`);
        if (
          !this.closed &&
          !service.starting &&
          !exited.stopRequested && // halted meanwhile
          this.processes.get(label) === exited
        )
          this.scheduleRestart(label, exited, service);
      });
    }, service.delayMs);
    service.delayMs = Math.min(service.delayMs * 2, this.delays.maxMs);
  }
}
