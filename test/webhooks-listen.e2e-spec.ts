import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { parse as parseYaml } from 'yaml';
import { Secret } from '../src/common/secret';
import { webhookHeaders } from '../src/events/signing/standard-webhooks';
import { parseTenantsDocument } from '../src/tenants/tenants-file.parser';
import { distFile, freePort, runNode, type RunningProcess } from './support/process';

/** `npm run webhooks:secret` and `npm run webhooks:listen` as real processes (issue 19 item 6). */
describe('webhooks:secret (process)', () => {
  jest.setTimeout(60_000);

  const newSecret = async () => {
    const cli = runNode(distFile('cli/webhook-secret.js'), []);
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
    return cli.stdout();
  };

  it('prints a fresh whsec_ secret and a YAML line that the tenant file accepts', async () => {
    const [first, second] = await Promise.all([newSecret(), newSecret()]);
    const secret = /^ {2}(whsec_[A-Za-z0-9+/]{43}=)$/m.exec(first)?.[1] ?? '';
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(second).not.toContain(secret);
    const line = first.split('\n').find((text) => text.trimStart().startsWith('secrets:')) ?? '';
    const yaml = [
      'tenants:',
      '  - id: acme',
      '    blooio: { apiKey: k }',
      '    apiKeys: [{ id: k, sha256: "' + '0'.repeat(64) + '" }]',
      '    webhooks:',
      '      - id: crm-inbox',
      '        url: https://crm.acme.example/hooks',
      line,
    ].join('\n');
    const [tenant] = parseTenantsDocument(parseYaml(yaml), {
      env: {},
      rateLimitDefaults: { perSecond: 1, perMinute: 1 },
      baseDir: '/',
    }).tenants;
    expect(tenant.webhooks[0].secrets.map((each) => each.reveal())).toEqual([secret]);
    expect(first).toContain(`npm run webhooks:listen -- --port 4000 --secret ${secret}`);
  });

  it('refuses arguments it does not know', async () => {
    const cli = runNode(distFile('cli/webhook-secret.js'), ['--length', '64']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/^webhooks:secret: Unknown option '--length'/);
  });
});

describe('webhooks:listen (process)', () => {
  jest.setTimeout(60_000);

  const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const NEXT = 'whsec_dGhlTGlzdGVuZXJTZWNvbmRTZWNyZXQwMDAwMDA=';
  const OTHER = 'whsec_YW5BdHRhY2tlcnNPd25TZWNyZXQwMDAwMDAwMDA=';
  let listener: RunningProcess;
  let url: string;

  const event = (id: string, type = 'message.delivered', messageId = 'msg_listen1') =>
    JSON.stringify({
      id,
      type,
      timestamp: new Date().toISOString(),
      tenantId: 'demo',
      data: { messageId, direction: 'outbound', status: 'delivered' },
    });
  const now = () => Math.floor(Date.now() / 1_000);
  const post = (headers: Record<string, string>, body: string | Buffer) =>
    fetch(url, { method: 'POST', headers, body });
  /** The listener's line for a webhook-id, once printed. */
  const lineFor = async (id: string) =>
    (await listener.waitForOutput(new RegExp(`^.*webhook-id=${id}\\b.*$`, 'm')))[0];

  beforeAll(async () => {
    listener = runNode(distFile('cli/webhook-listen.js'), [
      '--port',
      '0',
      '--secret',
      SECRET,
      '--secret',
      NEXT,
    ]);
    const [, address] = await listener.waitForOutput(
      /listening on (http:\/\/127\.0\.0\.1:\d+) with 2 secrets/,
    );
    url = `${address}/`;
  });
  afterAll(async () => {
    expect(await listener.stop()).toBe(0);
  });

  it('answers 204 to a delivery signed with any of its secrets, and prints type, id, message id', async () => {
    const body = event('evt_listenvalid1', 'message.delivered', 'msg_abc123');
    const response = await post(
      webhookHeaders('evt_listenvalid1', now(), body, [new Secret(OTHER), new Secret(NEXT)]),
      body,
    );
    expect(response.status).toBe(204);
    expect(await lineFor('evt_listenvalid1')).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}verified {2}204 message\.delivered {2}webhook-id=evt_listenvalid1 {2}messageId=msg_abc123$/,
    );
  });

  it('verifies what the standardwebhooks package signs, and marks a repeated webhook-id', async () => {
    const body = event('evt_listentheirs', 'message.received', 'msg_inbound9');
    const date = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'evt_listentheirs',
      'webhook-timestamp': String(Math.floor(date.getTime() / 1_000)),
      'webhook-signature': new Webhook(SECRET).sign('evt_listentheirs', date, body),
    };
    expect((await post(headers, body)).status).toBe(204);
    expect((await post(headers, body)).status).toBe(204);
    await listener.waitForOutput(
      /webhook-id=evt_listentheirs .*\(seen before: a retry or a replay\)/,
    );
    expect(listener.stdout()).toMatch(
      /verified {2}204 message\.received {2}webhook-id=evt_listentheirs {2}messageId=msg_inbound9\n/,
    );
  });

  it('answers 401 to a forged, tampered, stale or unsigned delivery, saying why', async () => {
    const body = event('evt_listenforged');
    const forged = await post(
      webhookHeaders('evt_listenforged', now(), body, [new Secret(OTHER)]),
      body,
    );
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: 'mismatch',
      detail: 'no v1 signature matches this id, timestamp and body with any secret',
    });
    expect(await lineFor('evt_listenforged')).toMatch(
      /REFUSED {3}401 message\.delivered {2}webhook-id=evt_listenforged {2}messageId=msg_listen1 {2}mismatch: /,
    );

    const signed = webhookHeaders('evt_listentamper', now(), body, [new Secret(SECRET)]);
    expect((await post(signed, body.replace('delivered', 'read'))).status).toBe(401);
    expect(await lineFor('evt_listentamper')).toContain('mismatch');

    const old = now() - 600;
    const stale = await post(
      webhookHeaders('evt_listenstale', old, body, [new Secret(SECRET)]),
      body,
    );
    expect(stale.status).toBe(401);
    expect(await lineFor('evt_listenstale')).toMatch(
      /stale: webhook-timestamp is 6\d\d s old \(tolerance 300 s\)/,
    );

    const unsigned = await post(
      { 'content-type': 'application/json', 'webhook-id': 'evt_listennone' },
      body,
    );
    expect(unsigned.status).toBe(401);
    expect(await lineFor('evt_listennone')).toContain(
      'missing: no webhook-timestamp, webhook-signature header',
    );
  });

  it('refuses a huge body with 413 without keeping it, streamed or declared, and goes on', async () => {
    // Streamed (chunked, no length): read and dropped past 1 MiB.
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      Readable.from(
        (function* () {
          for (let i = 0; i < 48; i += 1) yield chunk; // 3 MiB
        })(),
      ).pipe(request);
    });
    expect(status).toBe(413);
    await listener.waitForOutput(/refused {3}413 body over 1048576 bytes/);

    // Declared: answered at once, the body never sent.
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
        socket.write(
          'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (data: Buffer) => (text += data.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    await listener.waitForOutput(/refused {3}413 body of 50000000 bytes is over 1048576/);

    const body = event('evt_listenafter');
    expect(
      (await post(webhookHeaders('evt_listenafter', now(), body, [new Secret(SECRET)]), body))
        .status,
    ).toBe(204);
  });

  it('answers 405 to anything but POST', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('never prints a secret', () => {
    for (const secret of [SECRET, NEXT, OTHER]) {
      expect(listener.stdout() + listener.stderr()).not.toContain(secret.slice(6));
    }
  });
});

describe('webhooks:listen command line (process)', () => {
  jest.setTimeout(60_000);
  const GOOD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it.each([
    [['--port', '4000'], /^webhooks:listen: --secret is required/],
    [
      ['--secret', 'whsec_tooShortToBeOne'],
      /^webhooks:listen: --secret #1 must be whsec_ followed by the base64 of 24 to 64 bytes\n/,
    ],
    [
      ['--secret', GOOD, '--secret', 'sk_live_notawebhooksecret000000000'],
      /^webhooks:listen: --secret #2 must be whsec_/,
    ],
    [
      ['--secret', GOOD, '--port', '70000'],
      /^webhooks:listen: --port must be a whole number from 0 to 65535/,
    ],
    [['--secret', GOOD, '--port', 'x'], /--port must be a whole number/],
    [['--secret', GOOD, '--tolerance', '5m'], /--tolerance must be whole seconds/],
    [['--secret', GOOD, '--verbose'], /Unknown option '--verbose'/],
  ])('refuses %j with exit code 2, never echoing a secret', async (args, message) => {
    const cli = runNode(distFile('cli/webhook-listen.js'), args);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(message);
    expect(cli.stderr()).toContain('usage: npm run webhooks:listen -- --port');
    expect(cli.stderr()).not.toContain('tooShortToBeOne');
    expect(cli.stderr()).not.toContain('notawebhooksecret');
  });

  it('prints each verified body with --body, and only verified ones', async () => {
    const cli = runNode(distFile('cli/webhook-listen.js'), [
      '--port',
      '0',
      '--secret',
      GOOD,
      '--body',
    ]);
    try {
      const [, address] = await cli.waitForOutput(/listening on (http:\/\/[\d.:]+)/);
      const body = JSON.stringify({ id: 'evt_b', type: 'webhook.test', data: { endpointId: 'x' } });
      const send = (secret: string) =>
        fetch(address, {
          method: 'POST',
          headers: webhookHeaders('evt_b', Math.floor(Date.now() / 1_000), body, [
            new Secret(secret),
          ]),
          body,
        });
      expect((await send('whsec_YW5BdHRhY2tlcnNPd25TZWNyZXQwMDAwMDAwMDA=')).status).toBe(401);
      expect((await send(GOOD)).status).toBe(204);
      await cli.waitForOutput(/verified {2}204 webhook\.test {2}webhook-id=evt_b {2}messageId=-\n/);
      expect(cli.stdout().split(body)).toHaveLength(2);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('exits 1 when the port is taken', async () => {
    const port = await freePort();
    const first = runNode(distFile('cli/webhook-listen.js'), [
      '--port',
      String(port),
      '--secret',
      GOOD,
    ]);
    await first.waitForOutput(/listening on/);
    try {
      const second = runNode(distFile('cli/webhook-listen.js'), [
        '--port',
        String(port),
        '--secret',
        GOOD,
      ]);
      expect(await second.exited).toBe(1);
      expect(second.stderr()).toBe(
        `webhooks:listen: cannot listen on 127.0.0.1:${port} (EADDRINUSE)\n`,
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });
});
