import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { processWhatsappEvent } from '../workflows';
import { SEARCH_ATTRIBUTES, type ProcessEventInput } from '../workflows/contracts';

export type StartOutcome = 'accepted' | 'duplicate';

/** The durable hand-off: resolves only once Temporal has the workflow (or already had it). */
export type StartEvent = (input: ProcessEventInput) => Promise<StartOutcome>;

export interface TemporalStarterOptions {
  taskQueue: string;
  timeoutMs: number;
  /**
   * Ask for eager execution: the client must be on the NativeConnection of a worker of this task queue (an
   * embedded worker); the SDK drops the request silently when that worker has no free workflow-task slot.
   */
  eager?: boolean;
  /** Told of each start Temporal took, and whether its first workflow task came back eagerly. */
  onStarted?: (eagerly: boolean) => void;
  /** The workflow started per event; the benchmark's floor starts its empty one the same way. */
  workflowType?: string;
}

/** The start of an event's workflow: its ID is the event key, its search attributes the Web UI's filters. */
export function eventWorkflowOptions(input: ProcessEventInput, taskQueue: string) {
  return {
    taskQueue,
    workflowId: input.eventKey,
    args: [input] as [ProcessEventInput],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.eventType, value: input.event.type },
      { key: SEARCH_ATTRIBUTES.sessionId, value: input.event.data.sessionId ?? '-' },
    ],
  };
}

/** Starts one workflow per event with the event key as its ID; Temporal rejects the second start of a key. */
export function createTemporalStarter(client: Client, options: TemporalStarterOptions): StartEvent {
  return async (input) => {
    try {
      const handle = await client.withDeadline(Date.now() + options.timeoutMs, () =>
        client.workflow.start<typeof processWhatsappEvent>(options.workflowType ?? 'processWhatsappEvent', {
          ...eventWorkflowOptions(input, options.taskQueue),
          // a key seen before is a redelivery, even after that workflow closed
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          ...(options.eager && { requestEagerStart: true }),
        }),
      );
      options.onStarted?.(handle.eagerlyStarted);
      return 'accepted';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
      throw err;
    }
  };
}
