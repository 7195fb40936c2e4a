import type { Client } from '@temporalio/client';

/** How many executions carry this workflow ID, once visibility has caught up (it lags the start slightly). */
export async function countWorkflows(client: Client, workflowId: string, expectAtLeast = 1): Promise<number> {
  const query = `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= expectAtLeast || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
