import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemsOf } from '../../test/support/config-problems';
import { loadAppConfig } from './app.config';
import { loadBlooioConfig } from './blooio.config';
import { loadConfiguration } from './configuration';
import { loadIdempotencyConfig } from './idempotency.config';
import { loadRateLimitConfig, loadReadRateLimitConfig } from './rate-limit.config';

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadBlooioConfig({})).toEqual({
      baseUrl: 'https://backend.blooio.com/v2/api',
      timeoutMs: 10_000,
      attemptTimeoutMs: 5_000,
      maxRetries: 2,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 2_000,
      maxConnections: 128,
      breakerFailureThreshold: 5,
      breakerCooldownMs: 30_000,
    });
    expect(loadIdempotencyConfig({})).toEqual({ ttlSeconds: 86_400, maxEntries: 100_000 });
    expect(loadRateLimitConfig({})).toEqual({ perSecond: 20, perMinute: 600 });
    expect(loadReadRateLimitConfig({})).toEqual({ perSecond: 50 });
    expect(loadReadRateLimitConfig({ RATE_LIMIT_READS_PER_SECOND: '5' })).toEqual({ perSecond: 5 });
    expect(loadAppConfig({ TENANTS_FILE: __filename, NODE_ENV: 'production' })).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      sandbox: false,
      bodyLimitBytes: 262_144,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      logLevel: 'info',
      docsEnabled: true,
    });
  });

  it('enters sandbox mode on a dev machine without a tenant file, and listens on loopback', () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'bgw-config-')));
    try {
      expect(loadAppConfig({})).toMatchObject({ sandbox: true, host: '127.0.0.1' });
      expect(loadAppConfig({ SANDBOX: 'false' })).toMatchObject({ sandbox: false });
      expect(loadAppConfig({ NODE_ENV: 'production' })).toMatchObject({ sandbox: false });
    } finally {
      process.chdir(cwd);
    }
    expect(loadAppConfig({ TENANTS_FILE: __filename, SANDBOX: 'true' })).toMatchObject({
      sandbox: true,
    });
    expect(loadAppConfig({ TENANTS_FILE: __filename })).toMatchObject({
      sandbox: false,
      tenantsFileExists: true,
    });
  });

  it('names every bad variable at once', () => {
    expect(
      problemsOf(() =>
        loadBlooioConfig({
          BLOOIO_BASE_URL: 'ftp://x',
          BLOOIO_TIMEOUT_MS: '10s',
          BLOOIO_MAX_RETRIES: '-1',
        }),
      ),
    ).toEqual([
      'BLOOIO_TIMEOUT_MS: must be a whole number from 100 to 120000 (got "10s")',
      'BLOOIO_MAX_RETRIES: must be a whole number from 0 to 10 (got "-1")',
      'BLOOIO_BASE_URL: must be a https: or http: URL',
    ]);
    expect(
      problemsOf(() => loadAppConfig({ PORT: '70000', LOG_LEVEL: 'loud', DOCS_ENABLED: 'maybe' })),
    ).toEqual([
      'PORT: must be a whole number from 0 to 65535 (got "70000")',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'DOCS_ENABLED: must be true or false (got "maybe")',
    ]);
  });

  it('lists the problems of every namespace together', () => {
    expect(
      problemsOf(() =>
        loadConfiguration({
          PORT: 'eighty',
          BLOOIO_TIMEOUT_MS: '10s',
          IDEMPOTENCY_TTL_SECONDS: '0',
          RATE_LIMIT_PER_SECOND: 'many',
          REDIS_URL: 'http://cache',
        }),
      ),
    ).toEqual([
      'PORT: must be a whole number from 0 to 65535 (got "eighty")',
      'BLOOIO_TIMEOUT_MS: must be a whole number from 100 to 120000 (got "10s")',
      expect.stringMatching(/^IDEMPOTENCY_TTL_SECONDS: /),
      expect.stringMatching(/^RATE_LIMIT_PER_SECOND: /),
      'REDIS_URL: must be a redis: or rediss: URL',
    ]);
    const configuration = loadConfiguration({ TENANTS_FILE: __filename, PORT: '8080' });
    expect(configuration.app.port).toBe(8080);
    expect(configuration.blooio.maxRetries).toBe(2);
    expect(configuration.rateLimit).toEqual({ perSecond: 20, perMinute: 600 });
  });

  it.each([
    ['a missing file', '/nonexistent.yaml', /ENOENT/],
    ['a folder', __dirname, /not a file/],
  ])('refuses a TENANTS_FILE that is %s, whatever the mode', (_case, file, why) => {
    for (const mode of [
      {},
      { SANDBOX: 'true' },
      { SANDBOX: 'false' },
      { NODE_ENV: 'production' },
    ]) {
      const problems = problemsOf(() => loadAppConfig({ ...mode, TENANTS_FILE: file }));
      expect(problems).toEqual([expect.stringMatching(`^TENANTS_FILE: cannot read ${file} \\(`)]);
      expect(problems[0]).toMatch(why);
    }
  });

  it('takes SANDBOX_API_KEY only if a Bearer header could carry it, and never echoes it', () => {
    expect(loadAppConfig({ SANDBOX_API_KEY: 'bgw_demo-key.1~2' }).sandboxApiKey).toBe(
      'bgw_demo-key.1~2',
    );
    for (const key of ['has space', 'semi;colon', 'x'.repeat(513), 'ünïcode']) {
      const problems = problemsOf(() => loadAppConfig({ SANDBOX_API_KEY: key }));
      expect(problems).toEqual([
        'SANDBOX_API_KEY: must be a bearer token: 1 to 512 letters, digits or -._~+/ (then = padding)',
      ]);
      expect(problems.join()).not.toContain(key);
    }
  });

  it('refuses credentials in the Blooio URL without echoing them', () => {
    const problems = problemsOf(() =>
      loadBlooioConfig({ BLOOIO_BASE_URL: 'https://user:s3cret@blooio.test/v2/api' }),
    );
    expect(problems).toEqual(['BLOOIO_BASE_URL: must not carry credentials in the URL']);
    expect(problems.join()).not.toContain('s3cret');
  });
});
