/** Worker entry point: runs the workflows and activities on the task queue until SIGINT/SIGTERM. */
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { createActivities } from './activities';
import { loadWorkerConfig } from './config';
import { createLogger, toTemporalLogger } from './logger';
import { startWorkerMonitoring } from './monitoring';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = createLogger('worker', config.logLevel);
  Runtime.install({
    logger: toTemporalLogger(logger.child({ component: 'temporal-sdk' })),
    // the SDK's own metrics on loopback; the worker's /metrics serves them together with ours
    ...(config.metricsPort > 0 && {
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.sdkMetricsPort}` } } },
    }),
  });
  const redis = new Redis(config.redisUrl, { lazyConnect: true });
  await redis.connect();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const monitoring = startWorkerMonitoring({ config, redis, connection, logger });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities({ redis, config, logger }),
    sinks: monitoring.metrics.sinks,
    interceptors: { activity: [monitoring.metrics.activityInterceptor] },
  });
  logger.info({ taskQueue: config.temporal.taskQueue, metricsPort: config.metricsPort }, 'worker running');
  // run() resolves once the SDK has handled SIGINT/SIGTERM and in-flight tasks have finished
  await worker.run();
  await monitoring.stop();
  await connection.close();
  await redis.quit();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
