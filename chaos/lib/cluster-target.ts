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
import { ensureTctl } from '../../scripts/lib/provision';
import { run } from '../../scripts/lib/run';
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
const HISTORY_BACK_TIMEOUT_MS = 120_000;

export interface ClusterTargetOptions {
  dataDir: string;
  restartDelayMs: number;
  log: (line: string) => void;
}

export class ClusterChaosTarget implements ChaosTarget {
  readonly unplannedExits: UnplannedExit[] = [];
  private workerToKill = 1;
  private readonly killedAnswers: ReceiverAnswers = { accepted: 0, duplicate: 0 };

  private constructor(
    private readonly options: ClusterTargetOptions,
    readonly vesper: StandIn,
    readonly alerts: StandIn,
    private readonly cluster: RunningCluster,
    readonly webhookSecret: string,
    private readonly tctl: string,
  ) {
    // an exit nobody asked for is recorded and reported; the compose file's restart policy brings the process back,
    // as in production (a Temporal role that finds PostgreSQL restarting as it starts exits, and is started again)
    cluster.onUnplannedExit((exit) => {
      recordUnplannedExit(
        this.unplannedExits,
        { ...exit, restarted: exit.restartInMs !== undefined },
        options.log,
      );
    });
  }

  /** Worker processes started, the first two, the faults' and the restart policy's. */
  get workerStarts(): number {
    return this.cluster.starts('worker-1') + this.cluster.starts('worker-2');
  }

  static async start(options: ClusterTargetOptions): Promise<ClusterChaosTarget> {
    // a private temporary directory: PostgreSQL (user postgres when we are root) must pass through it
    chmodSync(options.dataDir, 0o755);
    const [vesper, alerts] = await Promise.all([StandIn.start(), StandIn.start()]);
    const webhookSecret = randomBytes(24).toString('hex');
    try {
      const tctl = await ensureTctl(options.log);
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
      return new ClusterChaosTarget(options, vesper, alerts, cluster, webhookSecret, tctl.path);
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
        const killedAt = Date.now();
        await this.killAndRestart('temporal-history');
        await this.historyMemberSince(killedAt);
        return `SIGKILL the history role (its shards wait for the new process); a new one in the membership ${seconds(started)} s later`;
      }
      case 'postgres-restart': {
        const started = performance.now();
        await this.cluster.stopProcess('postgresql');
        await sleep(this.options.restartDelayMs);
        await this.cluster.start('postgresql');
        return `PostgreSQL fast shutdown and start on the same data; accepting connections ${seconds(started)} s later`;
      }
      default:
        throw new Error(`the cluster target has no ${kind}`);
    }
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
    await Promise.all([this.vesper.close(), this.alerts.close()]);
  }

  /**
   * Until a history process started after `since` is in the cluster's membership: a listening port is not enough,
   * as the role still registers the system namespace first (and exits if PostgreSQL is away meanwhile).
   */
  private async historyMemberSince(since: number): Promise<void> {
    const deadline = Date.now() + HISTORY_BACK_TIMEOUT_MS;
    for (;;) {
      const listed = await run(this.tctl, [
        ...['--address', this.cluster.temporalAddress],
        ...['admin', 'membership', 'list_db', '--role', 'history', '--heartbeated_within', '1m'],
      ]);
      if (listed.code === 0 && startedSince(listed.stdout, since)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `no history process started since the kill joined the membership: ${listed.stderr.trim()}`,
        );
      }
      await sleep(250);
    }
  }

  private async killAndRestart(label: string): Promise<ManagedProcess> {
    await this.cluster.kill(label);
    await sleep(this.options.restartDelayMs);
    return this.cluster.start(label);
  }
}

/** Whether tctl's membership listing (JSON) has a member whose session started after `since` (epoch ms). */
function startedSince(listing: string, since: number): boolean {
  try {
    const members = JSON.parse(listing) as Array<{ session_start_time?: string }>;
    return members.some((m) => Date.parse(m.session_start_time ?? '') > since);
  } catch {
    return false;
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
