import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../redis-keys';

/** A signed request we could not use. Kept so nothing signed is lost; operators inspect it in Redis. */
export interface RejectedEvent {
  reason: string;
  rawBody: Buffer;
  contentType: string;
  receivedAt: string;
}

/** Stores a rejected event and returns its ID; the same body always gets the same ID (redeliveries collapse). */
export type KeepRejected = (event: RejectedEvent) => Promise<string>;

/**
 * Rejected bodies can hold personal data (a message's text, a number): each record expires `retentionSeconds`
 * after its last delivery, and the index forgets what is older.
 */
export function createRejectedStore(redis: Redis, options: { retentionSeconds: number }): KeepRejected {
  return async ({ reason, rawBody, contentType, receivedAt }) => {
    const id = createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
    const text = rawBody.toString('utf8');
    const isUtf8 = Buffer.from(text, 'utf8').equals(rawBody);
    await redis
      .multi()
      .hset(redisKeys.rejectedEvent(id), {
        id,
        reason,
        receivedAt,
        contentType,
        bytes: String(rawBody.length),
        bodyEncoding: isUtf8 ? 'utf8' : 'base64',
        body: isUtf8 ? text : rawBody.toString('base64'),
      })
      .hincrby(redisKeys.rejectedEvent(id), 'deliveries', 1)
      .expire(redisKeys.rejectedEvent(id), options.retentionSeconds)
      .zadd(redisKeys.rejectedIndex, Date.parse(receivedAt), id)
      .zremrangebyscore(redisKeys.rejectedIndex, '-inf', `(${Date.now() - options.retentionSeconds * 1000}`)
      .exec();
    return id;
  };
}
