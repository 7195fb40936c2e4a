import type { VesperEvent } from '../workflows/contracts';
import { badRequest } from './errors';

const MAX_TYPE_LENGTH = 128;
const MAX_ID_LENGTH = 256;
/** Vesper's events are 3 levels deep; far deeper ones would overflow the stack of the hand-off's serializer. */
export const MAX_JSON_DEPTH = 32;

/** Parses and checks a verified body: the envelope, then the fields each known type needs. */
export function parseEvent(rawBody: Buffer): VesperEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw badRequest('body is not valid JSON');
  }
  if (!isObject(body)) throw badRequest('body must be a JSON object');
  if (deeperThan(body, MAX_JSON_DEPTH))
    throw badRequest(`body must not be nested more than ${MAX_JSON_DEPTH} levels deep`);
  const { type, timestamp, data } = body;
  requireString('type', type, MAX_TYPE_LENGTH);
  requireString('timestamp', timestamp, MAX_ID_LENGTH);
  if (!isObject(data)) throw badRequest('field "data" must be an object');
  const required = type.startsWith('message.')
    ? ['messageId', 'sessionId']
    : type.startsWith('session.')
      ? ['sessionId']
      : [];
  for (const field of required)
    requireString(`data.${field}`, data[field], MAX_ID_LENGTH, ` for ${type} events`);
  if (data.sessionId !== undefined) requireString('data.sessionId', data.sessionId, MAX_ID_LENGTH);
  return { type, timestamp, data } as VesperEvent;
}

function requireString(
  field: string,
  value: unknown,
  maxLength: number,
  context = '',
): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw badRequest(`field "${field}" must be a non-empty string${context}`);
  }
  if (value.length > maxLength) throw badRequest(`field "${field}" must be at most ${maxLength} characters`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Iterative, so a 100,000-level body cannot overflow the stack here either. */
function deeperThan(root: object, maxDepth: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}
