/**
 * One chaos run: start the stack, send the load like Vesper while the fault plan breaks things, drain, then
 * check every event. Used by `npm run chaos` (chaos/run.ts) and, shortened, by test/chaos/chaos.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { makeEvents } from '../../bench/lib/load';
import { ensureTemporalCli } from '../../scripts/lib/provision';
import { ensureRedisServer } from '../../scripts/lib/redis-server';
import { checkRedis } from './check-redis';
import { checkStandIns } from './check-stand-ins';
import { countRunning, drain, EVENT_WORKFLOWS } from './drain';
import { expectationsOf } from './expectations';
import { FaultInjector, planFaults } from './faults';
import type { ChaosOptions } from './options';
import { summarise, type ChaosResult } from './result';
import { seededRandom } from './rng';
import { checkSessions, sessionExpectationsOf, withFlappingSession } from './sessions';
import { sendLikeVesper } from './sender';
import { ClusterChaosTarget } from './cluster-target';
import { ChaosStack } from './stack';
import type { ChaosTarget } from './target';

/** Every 7th received message is from a group, every 11th our own: the auto-reply rules must skip them. */
const MIX = { groupEvery: 7, ownEvery: 11 };
const SENDER_MAX_ATTEMPTS = 100;
/** After the drain: the last drops' escalation (30 s after them, CHAOS_SESSION_ENV), with room for a fault. */
const SESSION_ALERTS_WAIT_MS = 90_000;

export async function runChaos(
  options: ChaosOptions,
  log: (line: string) => void = (line) => console.log(`[chaos] ${line}`),
): Promise<ChaosResult> {
  const random = seededRandom(options.seed);
  const plan = planFaults(options, random);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chaos-'));
  const stack: ChaosTarget =
    options.target === 'cluster'
      ? await ClusterChaosTarget.start({ dataDir, restartDelayMs: options.restartDelaySeconds * 1000, log })
      : await ChaosStack.start({
          temporalBinary: (await ensureTemporalCli(log)).path,
          redisBinary: await ensureRedisServer(log),
          dataDir,
          entry: options.entry,
          redisAppendfsync: options.redisAppendfsync,
          restartDelayMs: options.restartDelaySeconds * 1000,
          redisOutageMs: options.redisOutageSeconds * 1000,
          log,
        });
  let passed = false;
  try {
    // each event stamped when the sender is to send it, as Vesper stamps events as they happen
    const events = withFlappingSession(
      makeEvents(options.events, stack.webhookSecret, `chaos${options.seed}`, MIX, {
        startMs: Date.now(),
        spacingMs: 1000 / options.ratePerSecond,
      }),
      stack.webhookSecret,
      `chaos${options.seed}`,
    );
    const expected = expectationsOf(events);
    const sessionsExpected = sessionExpectationsOf(expected.distinct);
    log(
      `seed ${options.seed}: ${events.length} events (${expected.distinct.length} distinct) at ${options.ratePerSecond}/s; faults at events ${plan.map((f) => `${f.kind}@${f.atEvent}`).join(', ') || 'none'}`,
    );
    const injector = new FaultInjector(stack, plan, options, log);
    const loadStartedAt = Date.now();
    const load = await sendLikeVesper(events, {
      url: stack.receiverUrl,
      ratePerSecond: options.ratePerSecond,
      concurrency: options.concurrency,
      giveUpMs: options.senderGiveUpSeconds * 1000,
      maxAttempts: SENDER_MAX_ATTEMPTS,
      random,
      // twice the planned time plus one give-up window: a system that stops answering cannot hold the run up
      deadlineMs: ((2 * options.events) / options.ratePerSecond + options.senderGiveUpSeconds) * 1000,
      onDispatch: injector.onDispatch,
    });
    log(`load done in ${(load.stats.durationMs / 1000).toFixed(0)} s; waiting for the faults to recover`);
    const faults = await injector.settled();

    log('draining: waiting for every effect and for no workflow to run');
    const redis = new Redis(stack.redisAddress);
    const connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection });
    try {
      const drained = await drain({
        redis,
        client,
        expected,
        timeoutMs: options.drainTimeoutSeconds * 1000,
        log,
      });
      log(
        `sessions: waiting for ${sessionsExpected.staysDown.size} that stay down and ${sessionsExpected.flapping.size} flapping to be alerted`,
      );
      const sessions = await checkSessions(
        stack.vesper,
        stack.alerts,
        sessionsExpected,
        SESSION_ALERTS_WAIT_MS,
      );
      const count = async (query: string) => (await client.workflow.count(query)).count;
      const result = summarise({
        options,
        expected,
        load,
        faults,
        drained,
        redisFindings: await checkRedis(redis, expected),
        sessions,
        standIns: checkStandIns(
          stack.vesper,
          stack.alerts,
          expected,
          loadStartedAt,
          faults
            .filter(
              (f) => f.kind === 'worker-kill' || f.kind === 'history-kill' || f.kind === 'receiver-kill',
            )
            .map((f) => loadStartedAt + f.startedAtS * 1000),
        ),
        workflows: {
          running: await countRunning(client),
          completed: await count(`${EVENT_WORKFLOWS} AND ExecutionStatus="Completed"`),
          failed: await count(`${EVENT_WORKFLOWS} AND ExecutionStatus="Failed"`),
        },
        receiver: await stack.receiverAnswers(),
        workerStarts: stack.workerStarts,
        unplannedExits: stack.unplannedExits,
      });
      passed = result.passed;
      return result;
    } finally {
      redis.disconnect();
      await connection.close();
    }
  } finally {
    await stack.stop();
    if (passed) rmSync(dataDir, { recursive: true, force: true });
    else log(`kept the run's data (Temporal's database, Redis's AOF) in ${dataDir}`);
  }
}
