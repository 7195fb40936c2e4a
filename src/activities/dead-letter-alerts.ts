import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DeadLetterAlertConfig } from '../config';
import {
  deadLetterGroupId,
  deadLetterReported,
  type AlertGroupInput,
  type AlertGroupState,
  type DeadLetterReport,
} from '../workflows/contracts';

/** The signature of deadLetterAlertGroup (src/workflows/dead-letter-alerts.ts), started here by name. */
type AlertGroupWorkflow = (input: AlertGroupInput) => Promise<AlertGroupState>;

/**
 * Reports a dead letter to the alert group of its (step, error type): signal-with-start, so the first report
 * starts the group's workflow on this task queue and later ones join it. Temporal only: it works while Redis is
 * down. A repeated report (this activity retried after its signal landed) is counted once by the group.
 */
export function createDeadLetterAlertActivities({
  client,
  grouping,
}: {
  client: Client;
  grouping: DeadLetterAlertConfig;
}) {
  return {
    async reportDeadLetter(report: DeadLetterReport): Promise<{ group: string }> {
      const { taskQueue } = Context.current().info;
      const group = deadLetterGroupId(taskQueue, report.step, report.errorType);
      await client.workflow.signalWithStart<AlertGroupWorkflow, [DeadLetterReport]>('deadLetterAlertGroup', {
        workflowId: group,
        taskQueue,
        args: [{ step: report.step, errorType: report.errorType, ...grouping }],
        signal: deadLetterReported,
        signalArgs: [report],
      });
      return { group };
    },
  };
}
