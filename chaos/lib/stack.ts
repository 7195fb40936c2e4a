/**
 * The system under test on loopback, each part a process the chaos run can break: the Temporal dev server (SQLite
 * file), Redis (append-only file), our receiver and worker (env-configured), and stand-ins for Vesper's send API
 * and the alert webhook.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { getFreePort, ManagedProcess, waitForPort } from '../../scripts/lib/managed-process';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { startRedisServer, startTemporalDevServer, type RunningService } from '../../scripts/lib/services';
import { StandIn } from '../../support/stand-in';
import type { ProcessFaultKind } from './faults';
import { sleep } from './rng';
import { CHAOS_SESSION_ENV } from './sessions';
import {
  recordUnplannedExit,
  scrapeReceiverAnswers,
  type ChaosTarget,
  type ReceiverAnswers,
  type UnplannedExit,
} from './target';

export interface StackOptions {
  temporalBinary: string;
  redisBinary: string;
  dataDir: string;
  entry: 'dist' | 'src';
  redisAppendfsync: 'always' | 'everysec';
  restartDelayMs: number;
  /** How long a `redis-outage` keeps Redis down. */
  redisOutageMs: number;
  log: (line: string) => void;
}

export type { UnplannedExit };

export const AUTO_REPLY_TEXT = 'Thanks! We will get back to you shortly.';
const WORKER_READY_TIMEOUT_MS = 180_000;

export class ChaosStack implements ChaosTarget {
  readonly vesper: StandIn;
  readonly alerts: StandIn;
  readonly unplannedExits: UnplannedExit[] = [];
  /** Sent to the receiver and used by the sender; never printed. */
  readonly webhookSecret = randomBytes(24).toString('hex');
  temporal!: RunningService;
  redis!: RunningService;
  api!: ManagedProcess;
  worker!: ManagedProcess;
  workerStarts = 0;
  private temporalPort = 0;
  private redisPort = 0;
  private apiPort = 0;
  private adminPort = 0;
  private readonly planned = new WeakSet<ManagedProcess>();
  private stopping = false;

  private constructor(
    private readonly options: StackOptions,
    standIns: [StandIn, StandIn],
  ) {
    [this.vesper, this.alerts] = standIns;
  }

  static async start(options: StackOptions): Promise<ChaosStack> {
    const stack = new ChaosStack(options, await Promise.all([StandIn.start(), StandIn.start()]));
    try {
      stack.temporalPort = await getFreePort();
      stack.redisPort = await getFreePort();
      stack.apiPort = await getFreePort();
      stack.adminPort = await getFreePort();
      await Promise.all([stack.startTemporal(), stack.startRedis()]);
      stack.api = stack.spawn('api', 'api/server', {
        PORT: String(stack.apiPort),
        HOST: '127.0.0.1',
        ADMIN_PORT: String(stack.adminPort),
        LOG_LEVEL: 'warn',
      });
      await Promise.all([waitForPort(stack.apiPort, '127.0.0.1', 60_000), stack.startWorker()]);
      return stack;
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  get receiverOrigin(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** The receiver's admin listener: /metrics, /readyz. */
  get adminOrigin(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  get receiverUrl(): string {
    return `${this.receiverOrigin}/webhooks/whatsapp`;
  }

  receiverAnswers(): Promise<ReceiverAnswers> {
    return scrapeReceiverAnswers([this.adminOrigin]);
  }

  get redisAddress(): string {
    return this.redis.address;
  }

  get temporalAddress(): string {
    return this.temporal.address;
  }

  fault(kind: ProcessFaultKind): Promise<string> {
    switch (kind) {
      case 'worker-kill':
        return this.killWorker();
      case 'temporal-restart':
        return this.restartTemporal();
      case 'redis-restart':
        return this.restartRedis();
      case 'redis-outage':
        return this.restartRedis(this.options.redisOutageMs);
      default:
        return Promise.reject(new Error(`the dev-server stack has no ${kind} (CHAOS_TARGET=cluster has)`));
    }
  }

  /** SIGKILL (no shutdown of any kind), down for the restart delay, then a new worker until it polls again. */
  async killWorker(): Promise<string> {
    const pid = this.worker.child.pid;
    this.planned.add(this.worker);
    await this.worker.kill('SIGKILL');
    await sleep(this.options.restartDelayMs);
    const readyMs = await this.startWorker();
    return `SIGKILL pid ${pid}; new worker ready ${(readyMs / 1000).toFixed(1)} s after its start`;
  }

  /** A graceful stop of the dev server, then a start on the same port and the same SQLite file. */
  async restartTemporal(): Promise<string> {
    const down = performance.now();
    this.planned.add(this.temporal.process);
    await this.temporal.process.stop();
    await sleep(this.options.restartDelayMs);
    await this.startTemporal();
    return `stopped (SIGTERM) and started again on the same SQLite file; down ${seconds(down)} s`;
  }

  /**
   * SIGTERM: Redis writes and fsyncs its append-only file on shutdown; then, after the restart delay (or an
   * outage's length), the same port and directory.
   */
  async restartRedis(downMs = this.options.restartDelayMs): Promise<string> {
    const down = performance.now();
    this.planned.add(this.redis.process);
    await this.redis.process.stop();
    await sleep(downMs);
    await this.startRedis();
    return `stopped (SIGTERM, AOF appendfsync ${this.options.redisAppendfsync}) and started again on the same AOF; down ${seconds(down)} s`;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.api?.stop(), this.worker?.stop()]);
    await Promise.all([this.temporal?.process.stop(), this.redis?.process.stop()]);
    await Promise.all([this.vesper.close(), this.alerts.close()]);
  }

  private async startTemporal(): Promise<void> {
    this.temporal = await startTemporalDevServer({
      binary: this.options.temporalBinary,
      port: this.temporalPort,
      dbFile: path.join(this.options.dataDir, 'temporal.db'),
      echo: false,
    });
    this.watch(this.temporal.process);
  }

  private async startRedis(): Promise<void> {
    this.redis = await startRedisServer({
      binary: this.options.redisBinary,
      port: this.redisPort,
      dataDir: path.join(this.options.dataDir, 'redis'),
      appendfsync: this.options.redisAppendfsync,
      echo: false,
    });
    this.watch(this.redis.process);
  }

  /** Starts a worker and resolves (with its start-up time) once it logs that it runs. */
  private async startWorker(): Promise<number> {
    const started = performance.now();
    this.workerStarts++;
    const worker = this.spawn('worker', 'worker', {
      LOG_LEVEL: 'info',
      VESPER_API_URL: this.vesper.url,
      VESPER_API_KEY: randomBytes(12).toString('hex'),
      AUTO_REPLY_TEXT,
      AUTO_REPLY_COOLDOWN_SECONDS: '0',
      ALERT_WEBHOOK_URL: this.alerts.url,
      ...CHAOS_SESSION_ENV,
      WORKER_METRICS_PORT: String(await getFreePort()),
      WORKER_SDK_METRICS_PORT: String(await getFreePort()),
    });
    this.worker = worker;
    await waitForOutput(worker, '"worker running"', WORKER_READY_TIMEOUT_MS);
    return performance.now() - started;
  }

  private spawn(label: 'api' | 'worker', entry: string, extra: Record<string, string>): ManagedProcess {
    const args =
      this.options.entry === 'dist' ? [`dist/${entry}.js`] : ['--import', 'tsx', `src/${entry}.ts`];
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      WEBHOOK_SECRET: this.webhookSecret,
      REDIS_URL: this.redis.address,
      TEMPORAL_ADDRESS: this.temporal.address,
      ...extra,
    };
    const child = new ManagedProcess(label, process.execPath, args, {
      cwd: PROJECT_ROOT,
      env,
      echo: false,
      keepLines: 200,
    });
    this.watch(child);
    return child;
  }

  /** An exit nobody asked for is recorded; a worker is started again, as a process supervisor would. */
  private watch(child: ManagedProcess): void {
    void child.exited.then(async (code) => {
      if (this.stopping || this.planned.has(child)) return;
      const restarted = child.label === 'worker' && child === this.worker;
      recordUnplannedExit(
        this.unplannedExits,
        { label: child.label, code, lastOutput: child.recentOutput(), restarted },
        this.options.log,
      );
      if (restarted) {
        await sleep(this.options.restartDelayMs);
        if (!this.stopping) await this.startWorker().catch((err: Error) => this.options.log(err.message));
      }
    });
  }
}

/**
 * Resolves once the process prints `text` on stdout. It listens to chunks beside ManagedProcess's own reader and
 * only removes its listener when done (closing a readline would pause the pipe, and a full pipe blocks the child).
 */
export function waitForOutput(child: ManagedProcess, text: string, timeoutMs: number): Promise<void> {
  const stdout = child.child.stdout;
  if (!stdout) return Promise.reject(new Error(`${child.label} has no stdout`));
  return new Promise<void>((resolve, reject) => {
    let tail = '';
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-(text.length + 64 * 1024));
      if (tail.includes(text)) done();
    };
    const timer = setTimeout(
      () => done(new Error(`${child.label} did not print ${text} in time`)),
      timeoutMs,
    );
    const done = (err?: Error) => {
      clearTimeout(timer);
      stdout.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    stdout.on('data', onData);
    void child.exited.then(() =>
      done(new Error(`${child.label} exited during start-up:\n${child.recentOutput()}`)),
    );
  });
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
