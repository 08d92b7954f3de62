/**
 * `npm run webhooks:register -- --tenant acme --url https://gateway.example/webhooks/blooio/acme`
 * Registers the gateway's receiver at Blooio (`POST /webhooks`, every event type) with that
 * tenant's own Blooio key, and prints the one-time signing secret and the tenant-file YAML.
 */
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { AttemptDeadline } from '../blooio/attempt-deadline';
import { createBlooioClient } from '../blooio/blooio-client.factory';
import { BlooioError, BlooioHttpError } from '../blooio/blooio.errors';
import { loadAppConfig } from '../config/app.config';
import { loadBlooioConfig } from '../config/blooio.config';
import { ConfigError } from '../config/env';
import { loadRateLimitConfig } from '../config/rate-limit.config';
import type { Tenant } from '../tenants/tenant';
import { loadTenantsFile } from '../tenants/tenants-file.parser';

const USAGE =
  'usage: npm run webhooks:register -- --tenant <tenant id> --url <the gateway receiver URL>';

/** Exit codes: 2 for a wrong command line or tenant file, 1 when Blooio could not register it. */
function fail(message: string, code = 2): never {
  process.stderr.write(`webhooks:register: ${message}\n${code === 2 ? `${USAGE}\n` : ''}`);
  process.exit(code);
}

function parseCommandLine(): { tenantId: string; url: URL } {
  let values: { tenant?: string; url?: string };
  try {
    ({ values } = parseArgs({
      options: { tenant: { type: 'string' }, url: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (!values.tenant) fail('--tenant is required');
  if (!values.url) fail('--url is required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    fail(`--url must be an absolute URL (got "${values.url}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail('--url must be an https URL (http only for a local sandbox)');
  }
  return { tenantId: values.tenant, url };
}

function loadTenant(tenantId: string): { tenant: Tenant; file: string } {
  try {
    const { tenantsFile } = loadAppConfig(process.env);
    const registry = loadTenantsFile(tenantsFile, {
      env: process.env,
      rateLimitDefaults: loadRateLimitConfig(process.env),
    });
    const tenant = registry.tenants.find((candidate) => candidate.id === tenantId);
    if (!tenant) {
      const known = registry.tenants.map((candidate) => candidate.id).join(', ');
      fail(`unknown tenant "${tenantId}" in ${tenantsFile} (its tenants: ${known})`);
    }
    return { tenant, file: tenantsFile };
  } catch (error) {
    if (error instanceof ConfigError)
      fail(`invalid configuration\n  ${error.problems.join('\n  ')}`);
    throw error;
  }
}

/** Why Blooio did not register it, in words; never the key (the client scrubs Blooio's text). */
function describeFailure(error: unknown): string {
  if (error instanceof BlooioHttpError) {
    const code = error.body.code ? ` (${error.body.code})` : '';
    const message = error.body.message ? `: ${error.body.message}` : '';
    const hint = error.status === 401 ? ". Check the tenant's blooio.apiKey." : '';
    return `Blooio answered ${error.status}${code}${message}${hint}`;
  }
  if (error instanceof BlooioError) return error.message;
  throw error;
}

async function main(): Promise<void> {
  const { tenantId, url } = parseCommandLine();
  const { tenant, file } = loadTenant(tenantId);
  let blooio: ReturnType<typeof loadBlooioConfig>;
  try {
    blooio = loadBlooioConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError)
      fail(`invalid configuration\n  ${error.problems.join('\n  ')}`);
    throw error;
  }
  if (!url.pathname.endsWith(`/webhooks/blooio/${tenantId}`)) {
    process.stderr.write(
      `webhooks:register: note: the gateway receives tenant "${tenantId}"'s events at /webhooks/blooio/${tenantId}; ${url.href} does not end so\n`,
    );
  }

  const agent = new Agent({ connect: { timeout: Math.min(blooio.timeoutMs, 5_000) } });
  const deadline = new AttemptDeadline(blooio.timeoutMs);
  let result: Awaited<ReturnType<ReturnType<typeof createBlooioClient>['createWebhook']>>;
  try {
    result = await createBlooioClient(blooio.baseUrl, agent).createWebhook(
      url.href,
      tenant.blooio.apiKey,
      deadline,
    );
  } catch (error) {
    fail(`could not register ${url.href} for tenant "${tenantId}": ${describeFailure(error)}`, 1);
  } finally {
    deadline.clear();
    await agent.close();
  }

  const webhookId = result.body.webhook_id ?? '(no id)';
  if (!result.signingSecret) {
    // 200: Blooio knew this URL already and shows a secret only once, when it creates one.
    process.stdout.write(
      [
        `Blooio already has webhook ${webhookId} for ${url.href} (tenant "${tenantId}"); it shows its signing secret only when it creates it.`,
        "If the tenant file already holds that secret, nothing is to be done. Otherwise rotate the webhook's secret",
        `(Blooio: POST /webhooks/${webhookId}/secret/rotate; the old secret stops working at once) and put the new one in the tenant file.`,
        '',
      ].join('\n'),
    );
    return;
  }

  const secret = result.signingSecret.reveal();
  process.stdout.write(
    [
      `Blooio webhook ${webhookId} created for tenant "${tenantId}" (every event type) -> ${url.href}`,
      'Its signing secret is shown only now:',
      '',
      `  ${secret}`,
      '',
      `Add it to tenant "${tenantId}" in ${file} (or keep it in an environment variable and write "\${NAME}"):`,
      '',
      '    blooio:',
      '      webhook:',
      `        signingSecrets: ["${secret}"]`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`webhooks:register: ${(error as Error).message}\n`);
  process.exit(1);
});
