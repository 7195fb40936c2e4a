/**
 * Receiver entry point: config, one Temporal client, the receiver (receiver.ts), graceful stop. With
 * EMBEDDED_WORKER the process runs the processing worker too, and the client shares the worker's connection.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadApiConfig, loadWorkerConfig, type ApiConfig } from '../config';
import { createLogger, type Logger } from '../logger';
import { createProcessingWorker, installTemporalRuntime } from '../processing-worker';
import { createReceiver } from './receiver';

/** What the entry point stops after the receiver has finished its in-flight requests. */
interface Engine {
  client: Client;
  stop(): Promise<void>;
  /** How long the whole stop may take before the process exits anyway. */
  drainMs: number;
}

/** In-flight requests answer within the start timeout; an embedded worker also finishes its workflow tasks, whose
 * local sends and alerts take at most 12 s (retry-policies.ts) before they are handed over. */
const RECEIVER_DRAIN_MS = 15_000;
const EMBEDDED_DRAIN_MS = RECEIVER_DRAIN_MS + 30_000;

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const logger = createLogger('api', config.logLevel);
  const engine = config.embeddedWorker ? await embeddedWorker(config, logger) : lazyClient(config);
  const receiver = createReceiver({ config, client: engine.client, logger });
  await receiver.listen();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return; // a second signal must not cut the drain short
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, engine.drainMs).unref();
    receiver
      .close()
      .then(() => engine.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** Lazy: the receiver starts (and answers 503) while Temporal is down, and recovers when it comes back. */
function lazyClient(config: ApiConfig): Engine {
  const connection = Connection.lazy({ address: config.temporal.address });
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    stop: () => connection.close(),
    drainMs: RECEIVER_DRAIN_MS,
  };
}

/**
 * The processing worker in this process, on one NativeConnection with the client, so that starts are eager: the
 * event's first workflow task comes back in the start's answer and runs here. Other workers may serve the task
 * queue too (they take what this one cannot). The receiver listens once Temporal has answered.
 */
async function embeddedWorker(config: ApiConfig, logger: Logger): Promise<Engine> {
  const workerConfig = loadWorkerConfig(process.env);
  // the receiver finishes its requests before the worker stops: the signals are ours, not the SDK's
  installTemporalRuntime(workerConfig, logger, { ownSignals: true });
  const connection = await connectWhenUp(config, logger);
  const processing = await createProcessingWorker({
    config: workerConfig,
    connection,
    logger,
    embedded: true,
  });
  const running = processing.run();
  running.catch((err: unknown) => {
    logger.error({ err }, 'embedded worker failed');
    process.exit(1);
  });
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    async stop() {
      processing.shutdown();
      await running;
      await connection.close();
    },
    drainMs: EMBEDDED_DRAIN_MS,
  };
}

/** Retries until Temporal answers (a receiver started before it, e.g. by a process manager). */
async function connectWhenUp(config: ApiConfig, logger: Logger): Promise<NativeConnection> {
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
    try {
      return await NativeConnection.connect({ address: config.temporal.address });
    } catch (err) {
      logger.warn(
        { address: config.temporal.address, retryInMs: delayMs, err: String(err) },
        'Temporal not reachable yet: the receiver listens once it is',
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
