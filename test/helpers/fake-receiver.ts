import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { FindLegacyRun } from '../../src/api/legacy-keys';
import { createApiMetrics } from '../../src/api/metrics';
import type { RejectedEvent } from '../../src/api/rejected-events';
import type { StartEvent } from '../../src/api/start-event';
import { loadApiConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import type { ProcessEventInput } from '../../src/workflows/contracts';
import { TEST_SECRET } from './signed-request';

export interface FakeReceiverOptions {
  startEvent?: StartEvent;
  keepRejected?: (event: RejectedEvent) => Promise<string>;
  bodyLimitBytes?: number;
  findLegacyRun?: FindLegacyRun;
  logger?: Logger;
}

/**
 * The receiver app (createApp, production's default settings) driven through `app.callback()`, with recording
 * stand-ins for its ports, the Temporal hand-off and the rejected-event store (the e2e tests use the real ones).
 */
export function fakeReceiver(options: FakeReceiverOptions = {}) {
  const started: ProcessEventInput[] = [];
  const rejected: RejectedEvent[] = [];
  const config = loadApiConfig({
    WEBHOOK_SECRET: TEST_SECRET,
    WEBHOOK_BODY_LIMIT_BYTES: String(options.bodyLimitBytes ?? 4096),
  });
  const app = createApp({
    config,
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
    metrics: createApiMetrics(),
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  return { app, http: request(app.callback()), started, rejected };
}
