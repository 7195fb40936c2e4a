import type { VesperEvent } from '../workflows/contracts';
import { badRequest } from './errors';

/** Parses and checks a verified body: the envelope, then the fields each known type needs. */
export function parseEvent(rawBody: Buffer): VesperEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw badRequest('body is not valid JSON');
  }
  if (!isObject(body)) throw badRequest('body must be a JSON object');
  const { type, timestamp, data } = body;
  if (typeof type !== 'string' || type.trim() === '')
    throw badRequest('field "type" must be a non-empty string');
  if (typeof timestamp !== 'string' || timestamp.trim() === '') {
    throw badRequest('field "timestamp" must be a non-empty string');
  }
  if (!isObject(data)) throw badRequest('field "data" must be an object');
  const required = type.startsWith('message.')
    ? ['messageId', 'sessionId']
    : type.startsWith('session.')
      ? ['sessionId']
      : [];
  for (const field of required) {
    const value = data[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw badRequest(`field "data.${field}" must be a non-empty string for ${type} events`);
    }
  }
  return { type, timestamp, data } as VesperEvent;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
