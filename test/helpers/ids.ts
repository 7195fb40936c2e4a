import { randomUUID } from 'node:crypto';

/** A short unique name, so tests sharing one server and one Redis never see each other's data. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
