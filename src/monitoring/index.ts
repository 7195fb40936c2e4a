import type http from 'node:http';
import type { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { Redis } from 'ioredis';
import { deliverAlert } from '../activities/alerts';
import { bestEffort } from '../activities/best-effort';
import { redisKeys } from '../redis-keys';
import { sessionWatchdogsQuery } from '../workflows/contracts';
import type { WorkerConfig } from '../config';
import type { Logger } from '../logger';
import { startMetricsServer } from './metrics-server';
import { TrendMonitor } from './trend-alerts';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics';

const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;
const SCRAPE_CALL_DEADLINE_MS = 2000;

export interface WorkerMonitoring {
  metrics: WorkerMetrics;
  stop(): Promise<void>;
}

/** The worker's metrics endpoint and trend alerts, wired to its Redis and Temporal connection. */
export function startWorkerMonitoring(deps: {
  config: WorkerConfig;
  redis: Redis;
  connection: NativeConnection;
  logger: Logger;
}): WorkerMonitoring {
  const { config, redis, connection, logger } = deps;
  // undefined while Redis is unreachable: a scrape and a trend check go on without it
  const deadLettersOpen = () => bestEffort(redis, (r) => r.zcard(redisKeys.deadLettersOpen));
  const metrics = createWorkerMetrics({
    deadLettersOpen,
    async backlog(kind) {
      // no answer within 2 s (or an error): the gauge is left out of this scrape
      const response = await connection
        .withDeadline(Date.now() + SCRAPE_CALL_DEADLINE_MS, () =>
          connection.workflowService.describeTaskQueue({
            namespace: config.temporal.namespace,
            taskQueue: { name: config.temporal.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType:
              kind === 'workflow'
                ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
                : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            reportStats: true,
          }),
        )
        .catch(() => undefined);
      const count = response?.stats?.approximateBacklogCount;
      return count === undefined || count === null ? undefined : Number(count);
    },
    async sessionsDown() {
      // a scrape must not hang on a Temporal that does not answer: NaN after 2 s
      const response = await connection.withDeadline(Date.now() + SCRAPE_CALL_DEADLINE_MS, () =>
        connection.workflowService.countWorkflowExecutions({
          namespace: config.temporal.namespace,
          query: sessionWatchdogsQuery(config.temporal.taskQueue, { down: true }),
        }),
      );
      return Number(response.count ?? 0);
    },
  });
  let server: http.Server | undefined;
  if (config.metrics.port > 0) {
    server = startMetricsServer({
      ...config.metrics,
      registry: metrics.registry,
      sdkMetricsUrl: `http://127.0.0.1:${config.sdkMetricsPort}/metrics`,
      logger,
    });
  }
  const trends = new TrendMonitor({
    redis,
    config: config.trends,
    sources: { deadLettersOpen, attemptTotals: metrics.attemptTotals },
    send: (alert) =>
      deliverAlert(
        { alertWebhookUrl: config.alertWebhookUrl, logger },
        {
          alertKey: `trend:${alert.trend}:${alert.state}:${Date.now()}`,
          text: alert.text,
          fields: { kind: `trend.${alert.state}`, trend: alert.trend, ...alert.fields },
        },
      ),
    logger,
  });
  trends.start();
  return {
    metrics,
    async stop() {
      trends.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
