/**
 * (b) The seed guide's design, built faithfully: Express with a raw body and the HMAC check, then a BullMQ
 * queue with jobId = event key, attempts 3, exponential backoff 2 s, removeOnComplete 1000 / removeOnFail 5000.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { eventKeyOf } from '../../src/api/event-key';
import type { VesperEvent } from '../../src/workflows/contracts';

const secret = process.env.WEBHOOK_SECRET ?? '';
const connection = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
const queue = new Queue('whatsapp-webhooks', { connection });
const app = express();

app.post('/webhooks/whatsapp', express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
  const raw = req.body as Buffer;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(String(req.headers['x-vesper-signature'] ?? ''), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.status(401).json({ error: 'Invalid signature' });
    return;
  }
  const event = JSON.parse(raw.toString('utf8')) as VesperEvent;
  const eventKey = eventKeyOf(event, raw);
  await queue.add(
    event.type,
    { event, eventKey, receivedAt: new Date().toISOString() },
    {
      jobId: eventKey.replace(/:/g, '|'), // BullMQ job IDs may not contain ':'
      removeOnComplete: 1000,
      removeOnFail: 5000,
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
    },
  );
  res.status(200).json({ status: 'queued' });
});

app.listen(Number(process.env.PORT), '127.0.0.1');
