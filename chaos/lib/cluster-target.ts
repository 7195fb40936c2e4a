/**
 * The chaos run's cluster target: `npm run cluster`'s topology (PostgreSQL, the Temporal roles as separate
 * processes, nginx in front of two receivers, two workers) with the stand-ins for Vesper and the alert webhook, and
 * the faults only this topology has: a receiver behind nginx SIGKILLed, the history role SIGKILLed, PostgreSQL
 * restarted. Ports are the topology's own (fixed), so one cluster runs at a time.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import type { ManagedProcess } from '../../scripts/lib/managed-process';
import { waitForPort } from '../../scripts/lib/managed-process';
import { clusterPorts, startCluster, type RunningCluster } from '../../scripts/lib/cluster';
import { StandIn } from '../../support/stand-in';
import type { ProcessFaultKind } from './faults';
import { sleep } from './rng';
import { AUTO_REPLY_TEXT, waitForOutput } from './stack';
import { CHAOS_SESSION_ENV } from './sessions';
import {
  recordUnplannedExit,
  scrapeReceiverAnswers,
  type ChaosTarget,
  type ReceiverAnswers,
  type UnplannedExit,
} from './target';

const WORKER_READY_TIMEOUT_MS = 180_000;

export interface ClusterTargetOptions {
  dataDir: string;
  restartDelayMs: number;
  log: (line: string) => void;
}

export class ClusterChaosTarget implements ChaosTarget {
  readonly unplannedExits: UnplannedExit[] = [];
  workerStarts = 2;
  private readonly planned = new WeakSet<ManagedProcess>();
  private stopping = false;
  private workerToKill = 1;
  private readonly killedAnswers: ReceiverAnswers = { accepted: 0, duplicate: 0 };

  private constructor(
    private readonly options: ClusterTargetOptions,
    readonly vesper: StandIn,
    readonly alerts: StandIn,
    private readonly cluster: RunningCluster,
    readonly webhookSecret: string,
  ) {
    for (const proc of [...cluster.processes.values(), cluster.postgres.process]) this.watch(proc);
  }

  static async start(options: ClusterTargetOptions): Promise<ClusterChaosTarget> {
    // a private temporary directory: PostgreSQL (user postgres when we are root) must pass through it
    chmodSync(options.dataDir, 0o755);
    const [vesper, alerts] = await Promise.all([StandIn.start(), StandIn.start()]);
    const webhookSecret = randomBytes(24).toString('hex');
    try {
      const cluster = await startCluster({
        dataDir: options.dataDir,
        echo: false,
        log: options.log,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
          WEBHOOK_SECRET: webhookSecret,
          VESPER_API_URL: vesper.url,
          VESPER_API_KEY: randomBytes(12).toString('hex'),
          AUTO_REPLY_TEXT,
          AUTO_REPLY_COOLDOWN_SECONDS: '0',
          ALERT_WEBHOOK_URL: alerts.url,
          ...CHAOS_SESSION_ENV,
          LOG_LEVEL: 'info', // the workers' "worker running" line tells a restarted one is ready
          TEMPORAL_LOG_LEVEL: 'warn',
        },
      });
      return new ClusterChaosTarget(options, vesper, alerts, cluster, webhookSecret);
    } catch (err) {
      await Promise.all([vesper.close(), alerts.close()]);
      throw err;
    }
  }

  get receiverUrl(): string {
    return this.cluster.webhookUrl;
  }

  /** Both receivers' counts, with what a killed one had counted just before its SIGKILL. */
  async receiverAnswers(): Promise<ReceiverAnswers> {
    const live = await scrapeReceiverAnswers(this.adminOrigins);
    return {
      accepted: live.accepted + this.killedAnswers.accepted,
      duplicate: live.duplicate + this.killedAnswers.duplicate,
    };
  }

  private get adminOrigins(): string[] {
    return clusterPorts({}).receiverAdmin.map((port) => `http://127.0.0.1:${port}`);
  }

  get redisAddress(): string {
    return this.cluster.redisUrl;
  }

  get temporalAddress(): string {
    return this.cluster.temporalAddress;
  }

  async fault(kind: ProcessFaultKind): Promise<string> {
    switch (kind) {
      case 'worker-kill': {
        const label = `worker-${this.workerToKill}`;
        this.workerToKill = 3 - this.workerToKill; // the other one next time
        const started = performance.now();
        const worker = await this.killAndRestart(label);
        this.workerStarts++;
        await waitForOutput(worker, '"worker running"', WORKER_READY_TIMEOUT_MS);
        return `SIGKILL ${label}; a new one ready ${seconds(started)} s later`;
      }
      case 'receiver-kill': {
        const started = performance.now();
        // its counters die with it: keep what it had counted
        const counted = await scrapeReceiverAnswers([this.adminOrigins[1] ?? '']);
        this.killedAnswers.accepted += counted.accepted;
        this.killedAnswers.duplicate += counted.duplicate;
        await this.killAndRestart('api-2');
        await waitForPort(clusterPorts({}).receivers[1], '127.0.0.1', 60_000);
        return `SIGKILL api-2 behind nginx; listening again ${seconds(started)} s later`;
      }
      case 'history-kill': {
        const started = performance.now();
        await this.killAndRestart('temporal-history');
        await waitForPort(7234, '127.0.0.1', 120_000);
        return `SIGKILL the history role (its shards wait for the new process); up ${seconds(started)} s later`;
      }
      case 'postgres-restart': {
        const started = performance.now();
        this.planned.add(this.cluster.postgres.process);
        await this.cluster.postgres.process.stop();
        await sleep(this.options.restartDelayMs);
        await this.cluster.postgres.restart();
        this.watch(this.cluster.postgres.process);
        return `PostgreSQL fast shutdown and start on the same data; accepting connections ${seconds(started)} s later`;
      }
      default:
        throw new Error(`the cluster target has no ${kind}`);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.cluster.stop();
    await Promise.all([this.vesper.close(), this.alerts.close()]);
  }

  private async killAndRestart(label: string): Promise<ManagedProcess> {
    const proc = this.cluster.processes.get(label);
    if (!proc) throw new Error(`no process ${label}`);
    this.planned.add(proc);
    await proc.kill('SIGKILL');
    await sleep(this.options.restartDelayMs);
    const next = await this.cluster.restart(label);
    this.watch(next);
    return next;
  }

  /** An exit nobody asked for is recorded (the run fails on it). */
  private watch(proc: ManagedProcess): void {
    void proc.exited.then((code) => {
      if (this.stopping || this.planned.has(proc)) return;
      recordUnplannedExit(this.unplannedExits, proc, code, this.options.log);
    });
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
