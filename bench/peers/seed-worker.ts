/** (b) The seed design's worker: the same Redis writes and the same Vesper call as ours, from a BullMQ job. */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createAlertActivities } from '../../src/activities/alerts';
import { createAutoReplyActivities } from '../../src/activities/auto-reply';
import { createMessageActivities } from '../../src/activities/messages';
import { createSessionAndEventActivities } from '../../src/activities/sessions-and-events';
import type { ProcessEventInput } from '../../src/workflows/contracts';

const redis = new Redis(process.env.REDIS_URL ?? '');
const connection = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
const retention = { dataSeconds: 30 * 86_400 }; // the product's default
const messages = createMessageActivities(redis, retention);
const sessions = createSessionAndEventActivities(redis, retention);
const alerts = createAlertActivities({ redis, logger: pino({ level: 'warn' }) }); // no webhook: a log line, as ours
const replies = createAutoReplyActivities({
  redis,
  vesper: { apiUrl: process.env.VESPER_API_URL ?? '', apiKey: 'bench', timeoutMs: 10_000 },
  autoReply: { text: process.env.AUTO_REPLY_TEXT, cooldownSeconds: 0, maxAgeSeconds: 3600, ownNumbers: [] },
});

new Worker<ProcessEventInput>(
  'whatsapp-webhooks',
  async (job) => {
    const input = job.data;
    const type = input.event.type;
    if (type === 'message.received') {
      await messages.saveMessage(input);
      await replies.sendAutoReply(input);
    } else if (type.startsWith('message.')) {
      await messages.updateMessageStatus(input);
    } else if (type.startsWith('session.')) {
      await sessions.recordSessionState(input);
      if (type === 'session.disconnected') {
        const { sessionId, reason } = input.event.data;
        await alerts.alertTeam({
          alertKey: `session-disconnected:${input.eventKey}`,
          text: `${sessionId} disconnected: ${reason}`,
          fields: {},
        });
      }
    } else {
      await sessions.recordEvent({ ...input, category: 'unhandled' });
    }
  },
  { connection, concurrency: Number(process.env.WORKER_CONCURRENCY ?? 50) },
);
