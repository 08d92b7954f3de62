import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BlooioSimulator } from '../src/sandbox/blooio-simulator';
import { distFile, runNode } from './support/process';
import { BLOOIO_KEYS, TEST_TENANT_ENV, testTenantsDocument } from './support/tenants.fixture';

/** `npm run webhooks:register` as a real process against the simulator (issue 18 item 7). */
describe('webhooks:register (process)', () => {
  // Each case starts a Node process; on a busy machine that alone takes seconds.
  jest.setTimeout(60_000);

  let sim: BlooioSimulator;
  let tenantsFile: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: { raw: string; signature: string }[] = [];

  const run = (args: string[], env: Record<string, string> = {}) =>
    runNode(distFile('cli/register-webhook.js'), args, {
      env: {
        TENANTS_FILE: tenantsFile,
        BLOOIO_BASE_URL: sim.baseUrl,
        ...TEST_TENANT_ENV,
        ...env,
      },
    });

  beforeAll(async () => {
    sim = await BlooioSimulator.start({
      apiKeys: [BLOOIO_KEYS.acme, BLOOIO_KEYS.globex],
      statusTimeline: { sentAfterMs: 10, deliveredAfterMs: 20, readAfterMs: 30, replyAfterMs: 40 },
    });
    tenantsFile = join(mkdtempSync(join(tmpdir(), 'bgw-register-')), 'tenants.yaml');
    writeFileSync(tenantsFile, JSON.stringify(testTenantsDocument()));
    receiver = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ raw, signature: String(request.headers['x-blooio-signature']) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/blooio/acme`;
  });

  afterAll(async () => {
    await sim.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it("registers with the tenant's key, prints the one-time secret and YAML that signs Blooio's events; again: says to rotate", async () => {
    const cli = run(['--tenant', 'acme', '--url', receiverUrl]);
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
    const stdout = cli.stdout();
    const secret = /^ {2}(whsec_\S+)$/m.exec(stdout)?.[1];
    expect(secret).toBeDefined();
    expect(stdout).not.toContain(BLOOIO_KEYS.acme);

    // Blooio saw acme's key and a webhook for every event type.
    const registration = sim.requests.find((request) => request.rawUrl === '/v2/api/webhooks');
    expect(registration).toMatchObject({
      method: 'POST',
      body: { webhook_url: receiverUrl, webhook_type: 'all' },
      headers: expect.objectContaining({ authorization: `Bearer ${BLOOIO_KEYS.acme}` }),
    });

    // The YAML block parses into blooio.webhook.signingSecrets holding that secret.
    const yaml = stdout
      .split('\n')
      .filter((line) => line.startsWith('    '))
      .join('\n');
    expect(parseYaml(yaml)).toEqual({ blooio: { webhook: { signingSecrets: [secret] } } });

    // And it is the secret Blooio (the simulator) signs this tenant's events with.
    const send = await fetch(`${sim.baseUrl}/chats/%2B15551234567/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${BLOOIO_KEYS.acme}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(send.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [{ raw, signature }] = received;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    expect(createHmac('sha256', secret!).update(`${t}.${raw}`).digest('hex')).toBe(v1);

    const again = run(['--tenant', 'acme', '--url', receiverUrl]);
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toMatch(/already has webhook wh_\w+/);
    expect(again.stdout()).toMatch(/rotate/);
    expect(again.stdout()).not.toContain('whsec_');
  });

  it("notes a URL that is not the tenant's receiver path, and still registers it", async () => {
    const cli = run(['--tenant', 'globex', '--url', 'https://gateway.example/hooks']);
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/\/webhooks\/blooio\/globex/);
    expect(cli.stdout()).toMatch(/whsec_/);
  });

  it.each([
    [['--url', 'https://gateway.example/webhooks/blooio/acme'], /--tenant is required/],
    [['--tenant', 'acme'], /--url is required/],
    [['--tenant', 'acme', '--url', 'not a url'], /--url must be an absolute URL/],
    [['--tenant', 'acme', '--url', 'ftp://gateway.example/x'], /--url must be an https URL/],
    [['--tenant', 'acme', '--url', 'https://g.example/x', '--bogus'], /bogus/],
    [
      ['--tenant', 'nope', '--url', 'https://g.example/webhooks/blooio/nope'],
      /unknown tenant "nope" in .*tenants\.yaml \(its tenants: acme, globex, initech, umbrella\)/,
    ],
  ])('refuses %j with exit code 2 and usage', async (args, message) => {
    const before = sim.requests.length;
    const cli = run(args);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(message);
    expect(cli.stderr()).toMatch(/usage: npm run webhooks:register/);
    expect(cli.stdout()).toBe('');
    expect(sim.requests.length).toBe(before);
  });

  it('says why when the tenant file cannot be read', async () => {
    const cli = run(['--tenant', 'acme', '--url', 'https://g.example/x'], {
      TENANTS_FILE: '/nonexistent/tenants.yaml',
    });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/TENANTS_FILE: cannot read \/nonexistent\/tenants\.yaml/);
  });

  it("exits 1 with Blooio's reason, never the key, when Blooio refuses the tenant's key", async () => {
    const cli = run(['--tenant', 'initech', '--url', 'https://g.example/webhooks/blooio/initech']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/Blooio answered 401 \(invalid_api_key\): Invalid API key/);
    expect(cli.stderr()).not.toContain(BLOOIO_KEYS.broken);
    expect(cli.stdout()).toBe('');
  });

  it('exits 1 when Blooio cannot be reached', async () => {
    const gone = await BlooioSimulator.start();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const cli = run(['--tenant', 'acme', '--url', receiverUrl], { BLOOIO_BASE_URL: baseUrl });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/could not register .* Could not reach Blooio/);
  });
});
