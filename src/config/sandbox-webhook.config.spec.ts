import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { problemsOf } from '../../test/support/config-problems';
import { loadAppConfig } from './app.config';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** Sandbox mode, run in an empty folder (no default tenant file): the demo tenant exists. */
const demo = { SANDBOX: 'true' };
const inEmptyFolder = <T>(run: () => T): T => {
  const cwd = process.cwd();
  process.chdir(mkdtempSync(join(tmpdir(), 'bgw-sandbox-webhook-')));
  try {
    return run();
  } finally {
    process.chdir(cwd);
  }
};

describe('SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET', () => {
  it('are unset by default', () => {
    const config = inEmptyFolder(() => loadAppConfig(demo));
    expect(config.sandboxWebhookUrl).toBeUndefined();
    expect(config.sandboxWebhookSecret).toBeUndefined();
  });

  it('take a loopback http or an https URL, and a whsec_ secret kept as a Secret', () => {
    const config = inEmptyFolder(() =>
      loadAppConfig({
        ...demo,
        SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:4000',
        SANDBOX_WEBHOOK_SECRET: SECRET,
      }),
    );
    expect(config.sandboxWebhookUrl).toBe('http://127.0.0.1:4000');
    expect(config.sandboxWebhookSecret?.reveal()).toBe(SECRET);
    expect(inspect(config) + JSON.stringify(config)).not.toContain(SECRET.slice(6));
    const https = inEmptyFolder(() =>
      loadAppConfig({ ...demo, SANDBOX_WEBHOOK_URL: 'https://hooks.example.com/in' }),
    );
    expect(https.sandboxWebhookUrl).toBe('https://hooks.example.com/in');
    expect(https.sandboxWebhookSecret).toBeUndefined();
  });

  it('stop the boot naming the variable, never echoing the secret', () => {
    const problems = inEmptyFolder(() =>
      problemsOf(() =>
        loadAppConfig({
          ...demo,
          SANDBOX_WEBHOOK_URL: 'http://192.168.1.20:4000/',
          SANDBOX_WEBHOOK_SECRET: 'whsec_notbase64ofenoughbytes!!',
        }),
      ),
    );
    expect(problems).toEqual([
      'SANDBOX_WEBHOOK_SECRET: must be whsec_ followed by the base64 of 24 to 64 bytes',
      'SANDBOX_WEBHOOK_URL: must use https: (http: only to localhost, 127.0.0.0/8 or [::1])',
    ]);
    expect(
      inEmptyFolder(() =>
        problemsOf(() => loadAppConfig({ ...demo, SANDBOX_WEBHOOK_URL: '127.0.0.1:4000' })),
      ),
    ).toEqual([
      'SANDBOX_WEBHOOK_URL: must be an absolute URL such as https://crm.example.com/hooks/imessage',
    ]);
    expect(
      inEmptyFolder(() =>
        problemsOf(() =>
          loadAppConfig({ ...demo, SANDBOX_WEBHOOK_URL: 'https://u:p@hooks.example.com/' }),
        ),
      ),
    ).toEqual(['SANDBOX_WEBHOOK_URL: must not hold credentials (user:password@)']);
  });

  it('refuse a secret without a URL, and a URL where there is no demo tenant', () => {
    expect(
      inEmptyFolder(() =>
        problemsOf(() => loadAppConfig({ ...demo, SANDBOX_WEBHOOK_SECRET: SECRET })),
      ),
    ).toEqual(['SANDBOX_WEBHOOK_SECRET: is set but SANDBOX_WEBHOOK_URL is not']);
    const demoOnly =
      "SANDBOX_WEBHOOK_URL: subscribes the sandbox's demo tenant, which exists only in sandbox mode " +
      "without a tenant file; list the endpoint under a tenant's webhooks instead";
    // Not in sandbox mode; in sandbox mode with a tenant file.
    for (const mode of [
      { SANDBOX: 'false' },
      { SANDBOX: 'true', TENANTS_FILE: __filename },
      { NODE_ENV: 'production', TENANTS_FILE: __filename },
    ]) {
      expect(
        problemsOf(() => loadAppConfig({ ...mode, SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:4000' })),
      ).toEqual([demoOnly]);
    }
  });
});
