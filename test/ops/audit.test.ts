/**
 * `npm run audit-deps` (CI's audit step) against a stand-in registry on loopback: it fails on a high finding in a
 * production dependency, and says NOT CHECKED (passing unless AUDIT_REQUIRED=1) when the registry refuses the
 * audit endpoint, as the registry this project is developed against does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAudit } from '../../scripts/lib/audit';
import { npmRun } from '../helpers/cli';

type Mode = 'vulnerable' | 'refuses-audit';
let registry: http.Server;
let mode: Mode = 'vulnerable';

beforeAll(async () => {
  // answers the bulk advisory endpoint, and a one-version packument for whatever npm looks up next
  registry = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/-/npm/v1/security/advisories/bulk')) {
        if (mode === 'refuses-audit') return res.writeHead(405, { allow: 'GET,HEAD' }).end();
        const advisory = { id: 1, url: 'http://advisory.invalid/1', title: 'stand-in', severity: 'high' };
        return res.end(
          JSON.stringify({ koa: [{ ...advisory, vulnerable_versions: '<99', cwe: [], cvss: {} }] }),
        );
      }
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      res.end(
        JSON.stringify({
          name,
          'dist-tags': { latest: '1.0.0' },
          versions: { '1.0.0': { name, version: '1.0.0' } },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

const audit = (extra: Record<string, string> = {}) =>
  npmRun('audit-deps', [], {
    npm_config_registry: `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`,
    ...extra,
  });

describe('npm run audit-deps', () => {
  it('fails on a high advisory against a production dependency', async () => {
    mode = 'vulnerable';
    const res = await audit();
    expect(res.stdout).toMatch(/production dependencies, fails at high\): FAILED .*koa \(high\)/);
    expect(res.code).toBe(1);
  });

  it('says NOT CHECKED when the registry refuses the audit endpoint, and fails only if the audit is required', async () => {
    mode = 'refuses-audit';
    const lenient = await audit();
    expect(lenient.stdout).toMatch(/production dependencies, fails at high\): NOT CHECKED.*405/);
    expect(lenient.code).toBe(0);
    expect((await audit({ AUDIT_REQUIRED: '1' })).code).toBe(1);
  });

  it('tells a missing network from a failure of its own', () => {
    const offline = JSON.stringify({
      message: 'request to http://r/-/npm failed, reason: getaddrinfo ENOTFOUND r',
    });
    expect(classifyAudit(offline, 'high').kind).toBe('unavailable');
    expect(
      classifyAudit(JSON.stringify({ error: { code: 'ENOLOCK', summary: 'no lockfile' } }), 'high').kind,
    ).toBe('error');
    expect(classifyAudit('not json', 'high').kind).toBe('error');
    const moderateOnly = {
      vulnerabilities: { x: { severity: 'moderate' } },
      metadata: { vulnerabilities: { moderate: 1 } },
    };
    expect(classifyAudit(JSON.stringify(moderateOnly), 'high').kind).toBe('clean');
    expect(classifyAudit(JSON.stringify(moderateOnly), 'moderate').kind).toBe('vulnerable');
  });
});
