/**
 * docker-compose.yml as the one source of the production topology's settings: `npm run cluster` reads the image
 * versions and each service's environment from it, with compose's own `${VAR:-default}` substitution, so the
 * topology run on this host is the one the compose file describes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../paths';
import { RESTART_POLICIES, type RestartPolicy } from './supervisor';

export const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');

interface ComposeService {
  image?: string;
  restart?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
}

export interface ComposeFile {
  /** A service's environment after substitution; list or map form, as compose accepts both. */
  environment(service: string): Record<string, string>;
  /** The tag of a service's image, e.g. `1.29.7` for `temporalio/server:1.29.7`. */
  imageTag(service: string): string;
  /** The service's `restart:` policy (compose's default is `no`). */
  restartPolicy(service: string): RestartPolicy;
  serviceNames(): string[];
}

/**
 * Compose's variable substitution: `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `$VAR`, and `$$` for a literal dollar. `${VAR:?message}` fails like compose does.
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (match: string, braced?: string, op?: string, operand?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = vars[name];
      const missing = op?.startsWith(':') ? !value : value === undefined;
      if (op?.endsWith('?') && missing) throw new Error(`${name} is required: ${operand ?? ''}`);
      if (op?.endsWith('-') && missing) return interpolate(operand ?? '', vars);
      return value ?? '';
    },
  );
}

/** Substitutes every string value of a parsed document (keys stay as written), as compose does after parsing. */
function interpolateValues(value: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateValues(item, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateValues(v, vars)]));
  }
  return value;
}

/**
 * Reads the compose file and substitutes `vars` (the process environment and .env, as compose does) into its
 * values after parsing, so a value is taken as written whatever it holds (`#`, `: `, digits, `null`).
 */
export function readComposeFile(
  vars: Record<string, string | undefined>,
  file: string = COMPOSE_FILE,
): ComposeFile {
  const doc = interpolateValues(parse(readFileSync(file, 'utf8'), { merge: true }), vars) as {
    services?: Record<string, ComposeService>;
  };
  const services = doc.services ?? {};
  const service = (name: string): ComposeService => {
    const found = services[name];
    if (!found) throw new Error(`${path.basename(file)} has no service ${name}`);
    return found;
  };
  return {
    serviceNames: () => Object.keys(services),
    environment(name) {
      const env = service(name).environment ?? {};
      const pairs: [string, string][] = Array.isArray(env)
        ? env.map((entry) => {
            const at = entry.indexOf('=');
            return at < 0 ? [entry, vars[entry] ?? ''] : [entry.slice(0, at), entry.slice(at + 1)];
          })
        : Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]);
      return Object.fromEntries(pairs);
    },
    restartPolicy(name) {
      const policy = service(name).restart ?? 'no';
      // on-failure:N (a retry cap) is not used by this file; refused rather than run as something else
      if (!(RESTART_POLICIES as readonly string[]).includes(policy))
        throw new Error(
          `service ${name}: restart policy "${policy}" is not one of ${RESTART_POLICIES.join(', ')}`,
        );
      return policy as RestartPolicy;
    },
    imageTag(name) {
      const image = service(name).image ?? '';
      const tag = /:([^:/]+)$/.exec(image)?.[1];
      if (!tag) throw new Error(`service ${name} has no pinned image tag (${image || 'no image'})`);
      return tag;
    },
  };
}
