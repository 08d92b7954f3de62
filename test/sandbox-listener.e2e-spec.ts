import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { GATEWAY_EVENT_TYPES } from '../src/common/gateway-event-types';
import { webhookHeaders } from '../src/events/signing/standard-webhooks';
import { SandboxService } from '../src/sandbox/sandbox.service';
import { SANDBOX_ENDPOINT_ID } from '../src/tenants/sandbox-tenant';
import { TenantRegistry } from '../src/tenants/tenant-registry';
import { startGateway } from './support/gateway';
import { distFile, freePort, runNode } from './support/process';

jest.setTimeout(60_000);

const SECRET = 'whsec_dGhlRGV2ZWxvcGVyc093blNhbmRib3hTZWNyZXQ=';

/** `SANDBOX_WEBHOOK_URL` (DESIGN §7, issue 19 item 6): the demo tenant's endpoint, every type. */
describe('SANDBOX_WEBHOOK_URL subscribes an endpoint for the demo tenant (e2e)', () => {
  const demoOf = async (env: Record<string, string>) => {
    const gateway = await startGateway({ env: { SANDBOX: 'true', ...env } });
    const demo = gateway.app.get(TenantRegistry).find('demo');
    const sandbox = gateway.app.get(SandboxService);
    return { gateway, demo, sandbox };
  };

  it('gives the demo tenant the endpoint, with a secret made at boot that verifies its signatures', async () => {
    const { gateway, demo, sandbox } = await demoOf({
      SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:4000',
    });
    try {
      expect(demo?.webhooks).toHaveLength(1);
      const [endpoint] = demo?.webhooks ?? [];
      expect(endpoint).toMatchObject({
        id: SANDBOX_ENDPOINT_ID,
        url: 'http://127.0.0.1:4000',
        events: [...GATEWAY_EVENT_TYPES],
      });
      // What the banner prints is the endpoint's one secret.
      expect(sandbox.demoWebhook?.secretGenerated).toBe(true);
      const printed = sandbox.demoWebhook?.secret.reveal() ?? '';
      expect(printed).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(endpoint.secrets.map((secret) => secret.reveal())).toEqual([printed]);
      // A delivery signed with the endpoint's secrets verifies, at a receiver, with that value.
      const body = JSON.stringify({ id: 'evt_sandbox', type: 'webhook.test', data: {} });
      const headers = webhookHeaders(
        'evt_sandbox',
        Math.floor(Date.now() / 1_000),
        body,
        endpoint.secrets,
      );
      expect(new Webhook(printed).verify(body, headers)).toEqual(JSON.parse(body));
      expect(gateway.logs.text).not.toContain(printed.slice(6));
    } finally {
      await gateway.close();
    }
  });

  it('signs with SANDBOX_WEBHOOK_SECRET when it is set', async () => {
    const { gateway, demo, sandbox } = await demoOf({
      SANDBOX_WEBHOOK_URL: 'http://localhost:4000/hooks',
      SANDBOX_WEBHOOK_SECRET: SECRET,
    });
    try {
      expect(sandbox.demoWebhook?.secretGenerated).toBe(false);
      expect(demo?.webhooks.map((endpoint) => endpoint.url)).toEqual([
        'http://localhost:4000/hooks',
      ]);
      expect(demo?.webhooks[0].secrets.map((secret) => secret.reveal())).toEqual([SECRET]);
      expect(gateway.logs.text).not.toContain(SECRET.slice(6));
    } finally {
      await gateway.close();
    }
  });

  it('leaves the demo tenant without endpoints when it is unset', async () => {
    const { gateway, demo, sandbox } = await demoOf({});
    try {
      expect(demo?.webhooks).toEqual([]);
      expect(sandbox.demoWebhook).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});

describe('npm start with SANDBOX_WEBHOOK_URL (e2e, the built gateway)', () => {
  const start = (env: Record<string, string>) =>
    runNode(distFile('main.js'), [], {
      cwd: mkdtempSync(join(tmpdir(), 'bgw-sandbox-listener-')),
      env,
    });

  it('prints the secret it made once at boot, in the banner only, with the listen command', async () => {
    const port = await freePort();
    const gateway = start({ PORT: String(port), SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:4000' });
    try {
      await gateway.waitForOutput(
        /Webhooks: {4}every event of "demo" is pushed to http:\/\/127\.0\.0\.1:4000 \(endpoint "sandbox-listener"\)/,
      );
      const [, secret] = await gateway.waitForOutput(
        /Secret: {6}(whsec_[A-Za-z0-9+/]{43}=) {3}\(set SANDBOX_WEBHOOK_SECRET to keep one\)/,
      );
      await gateway.waitForOutput(
        new RegExp(
          `Listen: {6}npm run webhooks:listen -- --port 4000 --secret ${secret.replace(/[+/]/g, '\\$&')}`,
        ),
      );
      // Never in a JSON log line: only the banner's two lines hold it.
      const holding = gateway
        .stdout()
        .split('\n')
        .filter((line) => line.includes(secret.slice(6)));
      expect(holding).toHaveLength(2);
      expect(holding.every((line) => line.startsWith('  '))).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  it('never prints a secret it was given', async () => {
    const port = await freePort();
    const gateway = start({
      PORT: String(port),
      SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:4000',
      SANDBOX_WEBHOOK_SECRET: SECRET,
    });
    try {
      await gateway.waitForOutput(/Secret: {6}the value of SANDBOX_WEBHOOK_SECRET/);
      await gateway.waitForOutput(
        /Listen: {6}npm run webhooks:listen -- --port 4000 --secret "\$SANDBOX_WEBHOOK_SECRET"/,
      );
      expect(gateway.stdout() + gateway.stderr()).not.toContain(SECRET.slice(6));
    } finally {
      await gateway.stop();
    }
  });

  it('refuses to boot on a bad URL, naming the variable', async () => {
    const gateway = start({ SANDBOX_WEBHOOK_URL: 'http://hooks.example.com/in' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toBe(
      'blooio-gateway: invalid configuration\n' +
        '  SANDBOX_WEBHOOK_URL: must use https: (http: only to localhost, 127.0.0.0/8 or [::1])\n',
    );
  });
});
