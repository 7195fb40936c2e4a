import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { EventType } = temporal.api.enums.v1;

/**
 * What `temporal workflow reset -t FirstWorkflowTask` does: a new run of the workflow's current run from its
 * first completed workflow task. The workflow replays every step; the effects are idempotent.
 */
export async function resetToFirstWorkflowTask(
  client: Client,
  workflowId: string,
  reason: string,
): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  const { runId } = await handle.describe();
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const firstTask = history.events?.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (!firstTask?.eventId) throw new Error(`${workflowId} has no completed workflow task to reset to`);
  const response = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId },
    reason,
    workflowTaskFinishEventId: firstTask.eventId,
    requestId: randomUUID(),
  });
  return response.runId ?? '';
}
