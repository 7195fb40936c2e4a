import * as v from 'valibot';
import {
  EVENT_TYPES,
  type EventTypeSpec,
  type KnownEvent,
  type KnownEventType,
  type VesperEvent,
} from '../workflows/contracts';
import { InvalidEventError } from './errors';

const MAX_TYPE_LENGTH = 128;
const MAX_TIMESTAMP_LENGTH = 64;
/** A zone is required: a zone-less time would be read in the host's zone, moving the acceptance window. */
const ISO_8601_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
export const MAX_ID_LENGTH = 256;
/** Vesper's events are 3 levels deep; far deeper ones would overflow the stack of the hand-off's serializer. */
export const MAX_JSON_DEPTH = 32;

const nonEmpty = (max: number) =>
  v.pipe(
    v.string('must be a non-empty string'),
    v.maxLength(max, `must be at most ${max} characters`),
    v.check((value) => value.trim() !== '', 'must be a non-empty string'),
  );

const sessionId = v.optional(nonEmpty(MAX_ID_LENGTH));

/** What every event has; `data` keeps every field it came with, and a sessionId, if any, is a string. */
const envelopeEntries = {
  type: nonEmpty(MAX_TYPE_LENGTH),
  timestamp: v.pipe(
    nonEmpty(MAX_TIMESTAMP_LENGTH),
    v.check(
      (value) => ISO_8601_WITH_ZONE.test(value) && Number.isFinite(Date.parse(value)),
      'must be an ISO 8601 time with a zone (Z or ±hh:mm)',
    ),
  ),
  data: dataObject({ sessionId }),
};
const envelope = v.looseObject(envelopeEntries);

/** An object that is not an array (valibot's objects take arrays), unknown keys kept. */
function dataObject(entries: v.ObjectEntries) {
  return v.pipe(
    v.custom<object>(
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      'must be an object',
    ),
    v.looseObject(entries),
  );
}

/** One schema per known type, from the registry: the envelope plus the `data` fields the type requires. */
function schemaFor(spec: EventTypeSpec) {
  const required = Object.fromEntries(spec.required.map((field) => [field, nonEmpty(MAX_ID_LENGTH)]));
  return v.looseObject({ ...envelopeEntries, data: dataObject({ sessionId, ...required }) });
}

const SCHEMAS = new Map<string, v.GenericSchema>(
  Object.entries(EVENT_TYPES).map(([type, spec]) => [type, schemaFor(spec)]),
);

/** Parses and checks a verified body: the envelope, then the fields its type requires (unknown types: none). */
export function parseEvent(rawBody: Buffer): VesperEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new InvalidEventError('body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InvalidEventError('body must be a JSON object');
  if (deeperThan(body, MAX_JSON_DEPTH))
    throw new InvalidEventError(`body must not be nested more than ${MAX_JSON_DEPTH} levels deep`);
  // one pass: a known type's schema includes the envelope; anything else is checked against the envelope alone
  const claimed = (body as { type?: unknown }).type;
  check(SCHEMAS.get(typeof claimed === 'string' ? claimed : '') ?? envelope, body);
  const type = claimed as string;
  // the parsed object itself, not the schema's copy: JSON.parse keeps `__proto__` an own, harmless key
  const { timestamp, data } = body as KnownEvent;
  return { type, timestamp, data };
}

/** The schema's output, or an InvalidEventError naming the first bad field (and the type that requires it). */
function check<T>(schema: v.GenericSchema<unknown, T>, body: unknown): T {
  const result = v.safeParse(schema, body, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? 'body';
  const type = (body as { type?: unknown }).type;
  const forType = field.startsWith('data.') && isKnown(type) ? ` for ${type} events` : '';
  // a missing key is reported by its object; say what the key should have been
  const missing = issue.kind === 'schema' && issue.received === 'undefined';
  const message = !missing
    ? issue.message
    : field === 'data'
      ? 'must be an object'
      : 'must be a non-empty string';
  throw new InvalidEventError(`field "${field}" ${message}${forType}`);
}

function isKnown(type: unknown): type is KnownEventType {
  return typeof type === 'string' && SCHEMAS.has(type);
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
