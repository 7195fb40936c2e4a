import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadApiConfig, loadOpsConfig, loadWorkerConfig } from '../../src/config';

/** Variables `.env.example` may mention that are not product config, each with why. */
const TOOLING = new Set([
  'TEMPORAL_CLI_PATH', // scripts/lib/provision.ts: a temporal binary to use instead of provisioning one
]);

const lines = readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8').split('\n');
/** `NAME=value` lines; commented-out `# NAME=value` lines document a variable too. */
const mentioned = new Set(lines.flatMap((line) => /^(?:#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? []));
/** What a copy of the file sets: the uncommented lines. */
const values = Object.fromEntries(
  lines.flatMap((line) => {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    return match ? [[match[1], match[2]]] : [];
  }),
) as Record<string, string>;

describe('.env.example', () => {
  it('mentions every variable the product reads', () => {
    expect([...ENV_VARIABLES].filter((name) => !mentioned.has(name))).toEqual([]);
  });

  it('mentions no variable the product does not read, tooling aside', () => {
    expect([...mentioned].filter((name) => !ENV_VARIABLES.has(name) && !TOOLING.has(name))).toEqual([]);
  });

  it('sets the defaults: each runtime loads its values into the config it has with nothing set', () => {
    const secret = { WEBHOOK_SECRET: 's' };
    expect(loadApiConfig({ ...values, ...secret })).toEqual(loadApiConfig(secret));
    expect(loadWorkerConfig(values)).toEqual(loadWorkerConfig({}));
    expect(loadOpsConfig(values)).toEqual(loadOpsConfig({}));
  });
});
