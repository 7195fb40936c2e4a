/**
 * Valibot schemas for one environment variable each. A value is trimmed, and an empty one is unset: the default.
 * Messages leave the variable's name out; the loader puts it in front (`PORT must be a whole number …`).
 */
import { readFileSync } from 'node:fs';
import * as v from 'valibot';

/** The trimmed value; unset and empty are both `undefined`. The default '' makes an absent key run the pipe too. */
const raw = v.pipe(
  v.optional(v.string('must be a string'), ''),
  v.trim(),
  v.transform((value) => value || undefined),
);

/** `fallback` when unset; otherwise `convert(value)`, if `valid(value)`, else `problem(value)` is reported. */
export function field<T>(
  fallback: T,
  valid: (value: string) => boolean,
  problem: (value: string) => string,
  convert: (value: string) => T,
) {
  return v.pipe(
    raw,
    v.check(
      (value) => value === undefined || valid(value),
      (issue) => problem(issue.input ?? ''),
    ),
    v.transform((value) => (value === undefined ? fallback : convert(value))),
  );
}

export function text(fallback: string) {
  return v.pipe(
    raw,
    v.transform((value) => value ?? fallback),
  );
}

/** Unset: `undefined`. */
export const optionalText = raw;

export function integer(fallback: number, min: number, max: number) {
  return field(
    fallback,
    (value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max,
    (value) => `must be a whole number from ${min} to ${max} (got "${value}")`,
    Number,
  );
}

/** A number from 0 to 1. */
export function fraction(fallback: number) {
  return field(
    fallback,
    (value) => Number.isFinite(Number(value)) && Number(value) >= 0 && Number(value) <= 1,
    (value) => `must be a number from 0 to 1 (got "${value}")`,
    Number,
  );
}

export function oneOf<T extends string>(allowed: readonly T[], fallback: T) {
  return field(
    fallback,
    (value) => (allowed as readonly string[]).includes(value),
    (value) => `must be one of ${allowed.join(', ')} (got "${value}")`,
    (value) => value as T,
  );
}

/** A path under some origin. */
export function urlPath(fallback: string) {
  return field(
    fallback,
    (value) => value.startsWith('/'),
    (value) => `must start with "/" (got "${value}")`,
    (value) => value,
  );
}

/** Trailing slashes stripped. A URL can hold a credential (a Slack webhook's is one), so it is never echoed. */
export function httpUrl(fallback: string) {
  return field(fallback, isHttpUrl, () => 'must be an http(s) URL', withoutTrailingSlashes);
}

/** `httpUrl` that is `undefined` when unset. */
export const optionalHttpUrl = field<string | undefined>(
  undefined,
  isHttpUrl,
  () => 'must be an http(s) URL',
  withoutTrailingSlashes,
);

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function withoutTrailingSlashes(value: string): string {
  return value.replace(/\/+$/, '');
}

/** Comma- or line-separated secrets; unset: `undefined`. No message can hold one. */
export const secretList = v.pipe(
  raw,
  v.transform((value) => (value === undefined ? undefined : splitSecrets(value))),
);

/** The path of a file of secrets, read (once, while parsing) into the same list; unset: `undefined`. */
export const secretFile = v.pipe(
  raw,
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    if (dataset.value === undefined) return undefined;
    try {
      return splitSecrets(readFileSync(dataset.value, 'utf8'));
    } catch (err) {
      addIssue({ message: `could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      return NEVER;
    }
  }),
);

function splitSecrets(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((secret) => secret.trim())
    .filter(Boolean);
}
