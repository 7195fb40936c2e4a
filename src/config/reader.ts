import { readFileSync } from 'node:fs';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads typed values from the environment, collecting every problem instead of stopping at the first. */
export class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name]?.trim();
    return value ? value : fallback;
  }

  fraction(name: string, fallback: number): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      this.problems.push(`${name} must be a number from 0 to 1 (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  url(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be an http(s) URL`);
    return undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  /** WEBHOOK_SECRET (comma-separated) or WEBHOOK_SECRET_FILE; the values never appear in a message. */
  secrets(name: string): string[] {
    const file = this.env[`${name}_FILE`]?.trim();
    let raw = this.env[name];
    if (file) {
      try {
        raw = readFileSync(file, 'utf8');
      } catch (err) {
        this.problems.push(
          `${name}_FILE could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
        return [];
      }
    }
    const secrets = (raw ?? '')
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.length === 0) this.problems.push(`${name} (or ${name}_FILE) must hold at least one secret`);
    return secrets;
  }

  done<T>(config: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return config;
  }
}
