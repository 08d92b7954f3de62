import { loadAppConfig } from './app.config';
import { loadBlooioConfig } from './blooio.config';
import { ConfigError } from './env';
import { loadIdempotencyConfig } from './idempotency.config';
import { loadRateLimitConfig } from './rate-limit.config';

const problemsOf = (load: () => unknown): readonly string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

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
    expect(
      loadAppConfig({ TENANTS_FILE: '/nonexistent.yaml', NODE_ENV: 'production' }),
    ).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      sandbox: false,
      bodyLimitBytes: 262_144,
      logLevel: 'info',
      docsEnabled: true,
    });
  });

  it('enters sandbox mode on a dev machine without a tenant file, and listens on loopback', () => {
    expect(loadAppConfig({ TENANTS_FILE: '/nonexistent.yaml' })).toMatchObject({
      sandbox: true,
      host: '127.0.0.1',
    });
    expect(loadAppConfig({ TENANTS_FILE: '/nonexistent.yaml', SANDBOX: 'false' })).toMatchObject({
      sandbox: false,
    });
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

  it('refuses credentials in the Blooio URL without echoing them', () => {
    const problems = problemsOf(() =>
      loadBlooioConfig({ BLOOIO_BASE_URL: 'https://user:s3cret@blooio.test/v2/api' }),
    );
    expect(problems).toEqual(['BLOOIO_BASE_URL: must not carry credentials in the URL']);
    expect(problems.join()).not.toContain('s3cret');
  });
});
