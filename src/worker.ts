/** Worker entry point: runs the workflows and activities on the task queue until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { loadWorkerConfig } from './config';
import { createLogger } from './logger';
import { createProcessingWorker, installTemporalRuntime } from './processing-worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = createLogger('worker', config.logLevel);
  installTemporalRuntime(config, logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const processing = await createProcessingWorker({ config, connection, logger });
  // resolves once the SDK has handled SIGINT/SIGTERM and in-flight tasks have finished
  await processing.run();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
