import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FAILURE_TYPES, type ProcessEventInput, type ProcessEventResult } from './contracts';

// Redis writes are short and idempotent: retry quickly at first, back off to 30 s, give up after ~5 minutes.
const storage = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 12,
    nonRetryableErrorTypes: [FAILURE_TYPES.invalidEvent],
  },
});

/** One run per Vesper event; the workflow ID is the event key, so a redelivery never starts a second run. */
export async function processWhatsappEvent(input: ProcessEventInput): Promise<ProcessEventResult> {
  const { event, eventKey } = input;
  switch (event.type) {
    case 'message.received':
      await storage.saveMessage(input);
      return { eventKey, outcome: 'processed' };
    default:
      log.info('event type recorded without further processing', { eventKey, type: event.type });
      await storage.recordEvent(input);
      return { eventKey, outcome: 'recorded' };
  }
}
