import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';

const COLORS = [36, 35, 33, 32, 34, 31];
let nextColor = 0;

export interface ManagedProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Prefix each output line with `[label]`; false discards the output (tests keep it for errors only). */
  echo?: boolean;
  /** How many of the last output lines recentOutput() returns (default 40). */
  keepLines?: number;
  /** How long stop() waits after the stop signal before SIGKILL (default 10 s). */
  stopGraceMs?: number;
  /** What stop() sends first (default SIGTERM), e.g. SIGINT for PostgreSQL's fast shutdown. */
  stopSignal?: NodeJS.Signals;
}

/**
 * A child process in its own process group, so stopping it also stops whatever it spawned, with its output
 * prefixed per line. The last lines are kept to explain an early exit.
 */
export class ManagedProcess {
  /** Every process started and not yet exited, for killAll(). */
  private static readonly live = new Set<ManagedProcess>();

  /**
   * SIGKILL to every live process group, synchronously: the last resort of a runner that must exit now (a second
   * Ctrl-C, or its own exit), since the groups are detached and get no signal from the terminal.
   */
  static killAll(): void {
    for (const proc of ManagedProcess.live) proc.signalGroup('SIGKILL');
  }

  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly tail: string[] = [];
  private readonly stopSignal: NodeJS.Signals;
  private readonly stopGraceMs: number;
  private stopAsked = false;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    options: ManagedProcessOptions = {},
  ) {
    this.stopSignal = options.stopSignal ?? 'SIGTERM';
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    const color = COLORS[nextColor++ % COLORS.length] ?? 36;
    const prefix = process.stdout.isTTY ? `\x1b[${color}m[${label}]\x1b[0m ` : `[${label}] `;
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > (options.keepLines ?? 40)) this.tail.shift();
        if (options.echo !== false) process.stdout.write(`${prefix}${line}\n`);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.tail.push(String(err));
        resolve(null);
      });
      // resolved once its output is read to the end (the line that says why it exited comes last), or 1 s after the
      // exit if something it started still holds the pipes open
      this.child.on('exit', (code, signal) => {
        const status = code ?? (signal ? 128 : null);
        this.child.once('close', () => resolve(status));
        setTimeout(() => resolve(status), 1000).unref();
      });
    });
    ManagedProcess.live.add(this);
    void this.exited.then(() => ManagedProcess.live.delete(this));
  }

  /** Resolves once something listens on the port; rejects, with the process's last output, if it exits first. */
  async waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
    const exited = this.exited.then((code) => {
      throw new Error(
        `${this.label} exited (code ${String(code)}) before listening on ${port}:\n${this.recentOutput()}`,
      );
    });
    await Promise.race([waitForPort(port, '127.0.0.1', timeoutMs), exited]);
  }

  /** stop() or kill() was called: the exit was asked for (a supervisor leaves it be). */
  get stopRequested(): boolean {
    return this.stopAsked;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  recentOutput(): string {
    return this.tail.join('\n');
  }

  /** The stop signal (SIGTERM) to the whole group, SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = this.stopGraceMs): Promise<void> {
    // exited already (its last lines perhaps still being read): that exit was not asked for
    if (!this.running || this.child.pid === undefined) return void (await this.exited);
    this.stopAsked = true;
    this.signalGroup(this.stopSignal);
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.signalGroup('SIGKILL'); // anything the child left behind in its group
  }

  /** A crash, not a stop: `signal` (SIGKILL by default) to the whole group at once; resolves once it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running || this.child.pid === undefined) return void (await this.exited);
    this.stopAsked = true;
    this.signalGroup(signal);
    await this.exited;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, signal);
    } catch {
      // group already gone
    }
  }
}

export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Resolves when something accepts TCP connections on host:port. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Throws a clear error when `port` is taken, instead of silently talking to whatever holds it. */
export async function assertPortFree(port: number, what: string, hint: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!free) throw new Error(`port ${port} (${what}) is already in use. ${hint}`);
}
