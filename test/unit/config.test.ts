import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_MAX_STARTS_IN_FLIGHT,
  loadApiConfig,
  loadOpsConfig,
  loadWorkerConfig,
  type Env,
} from '../../src/config';

/** The problems a load reports; fails the test if it loads. */
function problemsOf(load: (env: Env) => unknown, env: Env): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadApiConfig', () => {
  it('fills in defaults around the one required secret', () => {
    const config = loadApiConfig({ WEBHOOK_SECRET: 'a, b' });
    expect(config).toMatchObject({
      port: 3000,
      webhookPath: '/webhooks/whatsapp',
      webhookSecrets: ['a', 'b'],
      bodyLimitBytes: 1024 * 1024,
      temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'whatsapp-webhooks' },
      eventWindow: { maxAgeSeconds: 6 * 86_400, maxFutureSkewSeconds: 3600 },
    });
  });

  it('refuses an acceptance window that reaches the 7-day retention (a replay could act again)', () => {
    expect(() => loadApiConfig({ WEBHOOK_SECRET: 's', EVENT_MAX_AGE_SECONDS: String(7 * 86_400) })).toThrow(
      /must stay below the namespace retention/,
    );
    expect(() =>
      loadApiConfig({
        WEBHOOK_SECRET: 's',
        EVENT_MAX_AGE_SECONDS: String(6 * 86_400),
        EVENT_MAX_FUTURE_SKEW_SECONDS: '86400',
      }),
    ).toThrow(/must stay below the namespace retention/);
  });

  it('reports every problem at once and never echoes a secret', () => {
    let error: unknown;
    try {
      loadApiConfig({
        PORT: 'eighty',
        WEBHOOK_PATH: 'hooks',
        LOG_LEVEL: 'loud',
        WEBHOOK_BODY_LIMIT_BYTES: '-1',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'WEBHOOK_PATH', 'LOG_LEVEL', 'WEBHOOK_BODY_LIMIT_BYTES', 'WEBHOOK_SECRET'])
      expect(problems.filter((p) => p.startsWith(`${name} `))).toHaveLength(1);
  });

  it('reports a bad integer, URL, enum, missing secret and cross-field rule in one error, each naming its variable', () => {
    const problems = problemsOf(loadApiConfig, {
      PORT: 'eighty',
      REDIS_URL: 'localhost:6379',
      LOG_LEVEL: 'loud',
      HTTP_HEADERS_TIMEOUT_MS: '5000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
    });
    expect(problems.sort()).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'PORT must be a whole number from 0 to 65535 (got "eighty")',
      'REDIS_URL must start with redis:// or rediss://',
      'WEBHOOK_SECRET (or WEBHOOK_SECRET_FILE) must hold at least one secret',
    ]);
  });

  it('never puts a secret, or a URL that may hold one, in the message', () => {
    const api = problemsOf(loadApiConfig, {
      WEBHOOK_SECRET: 'sekrit-1',
      REDIS_URL: 'http://:sekrit-2@redis',
      PORT: 'x',
    });
    const worker = problemsOf(loadWorkerConfig, {
      VESPER_API_KEY: 'vsp sekrit-3',
      VESPER_API_URL: 'ftp://sekrit-4@vesper',
      ALERT_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/sekrit-5',
    });
    expect([...api, ...worker].map((p) => p.split(' ')[0]).sort()).toEqual([
      'ALERT_WEBHOOK_URL',
      'PORT',
      'REDIS_URL',
      'VESPER_API_KEY',
      'VESPER_API_URL',
    ]);
    expect([...api, ...worker].join('\n')).not.toMatch(/sekrit/);
  });

  it('bounds the hand-offs in flight: MAX_STARTS_IN_FLIGHT, 8 by default, at least 1', () => {
    expect(loadApiConfig({ WEBHOOK_SECRET: 's' }).maxStartsInFlight).toBe(DEFAULT_MAX_STARTS_IN_FLIGHT);
    expect(DEFAULT_MAX_STARTS_IN_FLIGHT).toBe(8);
    expect(loadApiConfig({ WEBHOOK_SECRET: 's', MAX_STARTS_IN_FLIGHT: ' 8 ' }).maxStartsInFlight).toBe(8);
    expect(problemsOf(loadApiConfig, { WEBHOOK_SECRET: 's', MAX_STARTS_IN_FLIGHT: '0' })).toEqual([
      'MAX_STARTS_IN_FLIGHT must be a whole number from 1 to 100000 (got "0")',
    ]);
  });

  it('bounds slow clients with the HTTP_* timeouts (10 s for headers, 30 s for a request) and connections (1024) by default', () => {
    expect(loadApiConfig({ WEBHOOK_SECRET: 's' }).http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxHeaderBytes: 16 * 1024,
      maxConnections: 1024, // bounded by default
    });
    const http = loadApiConfig({
      WEBHOOK_SECRET: 's',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEPALIVE_TIMEOUT_MS: '3000',
      HTTP_MAX_CONNECTIONS: '500',
    }).http;
    expect(http).toMatchObject({ headersTimeoutMs: 2000, requestTimeoutMs: 4000, maxConnections: 500 });
    expect(() =>
      loadApiConfig({
        WEBHOOK_SECRET: 's',
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        HTTP_REQUEST_TIMEOUT_MS: '4000',
      }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/);
  });

  it('reads secrets from WEBHOOK_SECRET_FILE, one per line or comma-separated', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'secret');
    writeFileSync(file, 'new-secret\nold-secret\n');
    expect(loadApiConfig({ WEBHOOK_SECRET_FILE: file }).webhookSecrets).toEqual(['new-secret', 'old-secret']);
    expect(() => loadApiConfig({ WEBHOOK_SECRET_FILE: `${file}.missing` })).toThrow(
      /WEBHOOK_SECRET_FILE could not be read \(ENOENT\)/,
    );
  });
});

describe('loadWorkerConfig', () => {
  it('rejects a REDIS_URL that is not a redis URL', () => {
    expect(() => loadWorkerConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL/);
    expect(loadWorkerConfig({}).redisUrl).toBe('redis://127.0.0.1:6390');
  });

  it('requires VESPER_API_KEY once AUTO_REPLY_TEXT is set, and keeps only the digits of OWN_NUMBERS', () => {
    expect(() => loadWorkerConfig({ AUTO_REPLY_TEXT: 'Thanks!' })).toThrow(
      /VESPER_API_KEY must be set when AUTO_REPLY_TEXT is/,
    );
    const { autoReply } = loadWorkerConfig({
      AUTO_REPLY_TEXT: ' Thanks! ',
      VESPER_API_KEY: 'vsp_key',
      OWN_NUMBERS: '+90 555 987 65 43, ,905551112233',
    });
    expect(autoReply).toMatchObject({ text: 'Thanks!', ownNumbers: ['905559876543', '905551112233'] });
  });

  it('strips trailing slashes from URLs and treats an empty value as unset', () => {
    const config = loadWorkerConfig({ VESPER_API_URL: 'https://vesper.test/api//', ALERT_WEBHOOK_URL: '  ' });
    expect(config.vesper.apiUrl).toBe('https://vesper.test/api');
    expect(config.alertWebhookUrl).toBeUndefined();
    expect(() => loadWorkerConfig({ ERROR_RATE_THRESHOLD: '1.5' })).toThrow(
      'ERROR_RATE_THRESHOLD must be a number from 0 to 1 (got "1.5")',
    );
  });
});

describe('Vesper API settings', () => {
  it("default to the base URL Vesper's docs give (every endpoint under /api/v1) and refuse a non-ASCII key", () => {
    expect(loadWorkerConfig({}).vesper.apiUrl).toBe('https://api.vespergateway.com/api/v1');
    expect(loadOpsConfig({}).webhookSettingsPath).toBe('/apps/settings');
    expect(() => loadWorkerConfig({ VESPER_API_KEY: 'vsp_ключ' })).toThrow(
      /VESPER_API_KEY must be printable ASCII/,
    );
  });
});

describe('loadOpsConfig', () => {
  it('signs with the dev secret while WEBHOOK_SECRET is unset, and refuses one that holds none', () => {
    expect(loadOpsConfig({}).webhookSecrets).toEqual(['dev-secret-change-me']);
    expect(loadOpsConfig({ WEBHOOK_SECRET: 'b,a' }).webhookSecrets).toEqual(['b', 'a']);
    expect(() => loadOpsConfig({ WEBHOOK_SECRET: ' , ' })).toThrow(
      /WEBHOOK_SECRET \(or WEBHOOK_SECRET_FILE\) must hold at least one secret/,
    );
    expect(loadOpsConfig({ PORT: '8080', WEBHOOK_PATH: '/in' }).webhookUrl).toBe('http://localhost:8080/in');
  });
});
