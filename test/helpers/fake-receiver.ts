import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { FindLegacyRun } from '../../src/api/legacy-keys';
import { createApiMetrics } from '../../src/api/metrics';
import type { RejectedEvent } from '../../src/api/rejected-events';
import type { StartEvent } from '../../src/api/start-event';
import type { ProcessEventInput } from '../../src/workflows/contracts';
import { TEST_SECRET } from './signed-request';

export interface FakeReceiverOptions {
  startEvent?: StartEvent;
  keepRejected?: (event: RejectedEvent) => Promise<string>;
  bodyLimitBytes?: number;
  findLegacyRun?: FindLegacyRun;
}

/**
 * The receiver app driven through `app.callback()`, with recording stand-ins for the Temporal hand-off and the
 * rejected-event store (the e2e tests use the real ones).
 */
export function fakeReceiver(options: FakeReceiverOptions = {}) {
  const started: ProcessEventInput[] = [];
  const rejected: RejectedEvent[] = [];
  const app = createApp({
    webhookPath: '/webhooks/whatsapp',
    webhookSecrets: [TEST_SECRET],
    bodyLimitBytes: options.bodyLimitBytes ?? 4096,
    startEvent:
      options.startEvent ??
      (async (input) => {
        const seen = started.some((s) => s.eventKey === input.eventKey);
        started.push(input);
        return seen ? 'duplicate' : 'accepted';
      }),
    keepRejected:
      options.keepRejected ??
      (async (event) => {
        rejected.push(event);
        return `r${rejected.length}`;
      }),
    findLegacyRun: options.findLegacyRun ?? (async () => undefined),
    eventWindow: { maxAgeSeconds: 6 * 86_400, maxFutureSkewSeconds: 3600 },
    metrics: createApiMetrics(),
    logger: pino({ level: 'silent' }),
  });
  return { app, http: request(app.callback()), started, rejected };
}
