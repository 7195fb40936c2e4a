import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadOpsConfig, loadWorkerConfig } from '../../src/config';

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
    expect(problems.join('\n')).toMatch(/PORT.*WEBHOOK_PATH|WEBHOOK_PATH[\s\S]*PORT/);
    expect(problems.some((p) => p.startsWith('WEBHOOK_SECRET'))).toBe(true);
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
