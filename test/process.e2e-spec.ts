import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey } from '../src/common/api-key';
import { parseTenantsDocument } from '../src/tenants/tenants-file.parser';
import { distFile, freePort, runNode } from './support/process';

jest.setTimeout(30_000);

describe('the built gateway as a process (e2e)', () => {
  it('starts in sandbox mode with no setup, prints the Swagger URL and a demo key, and sends', async () => {
    const port = await freePort();
    const emptyDir = mkdtempSync(join(tmpdir(), 'bgw-fresh-'));
    const gateway = runNode(distFile('main.js'), [], {
      cwd: emptyDir,
      env: { PORT: String(port) },
    });
    try {
      const [, url] = await gateway.waitForOutput(/Swagger UI:\s+(http:\/\/\S+)/);
      const [, key] = await gateway.waitForOutput(/Demo key:\s+(bgw_[0-9A-Za-z]{40})/);
      const [, simulator] = await gateway.waitForOutput(/Simulator:\s+(http:\/\/\S+)/);
      expect(url).toBe(`http://localhost:${port}/docs`);

      const docs = await fetch(url);
      expect(docs.status).toBe(200);
      const response = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ recipients: ['+15551234567'], text: 'hello' }),
      });
      expect(response.status).toBe(202);
      const sent = (await response.json()) as { messageId: string };
      expect(sent).toMatchObject({ status: 'queued', messageId: expect.stringMatching(/^msg_/) });

      // The printed simulator answers Blooio's status route for that message, with the demo
      // tenant's Blooio key (README, "Sandbox").
      const status = await fetch(
        `${simulator}/chats/%2B15551234567/messages/${sent.messageId}/status`,
        { headers: { authorization: 'Bearer sandbox-blooio-key' } },
      );
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({
        message_id: sent.messageId,
        status: expect.stringMatching(/^(queued|sent|delivered)$/),
      });
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });

  it('refuses to boot on a bad tenant file, one line per problem naming its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-bad-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(
      file,
      [
        'tenants:',
        '  - id: acme',
        '    blooio: { apiKey: "${MISSING_KEY_VAR}" }',
        '    apiKeys:',
        '      - { id: svc, sha256: "abc" }',
      ].join('\n'),
    );
    const boot = (env: NodeJS.ProcessEnv = {}) =>
      runNode(distFile('main.js'), [], {
        env: { TENANTS_FILE: file, NODE_ENV: 'production', PORT: '0', ...env },
      });
    const gateway = boot();
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toBe(
      [
        'blooio-gateway: invalid configuration',
        '  tenants[0].blooio.apiKey: environment variable MISSING_KEY_VAR is not set',
        '  tenants[0].apiKeys[0].sha256: must be 64 hex characters (lowercase)',
        '',
      ].join('\n'),
    );
    // Only that block: no stack trace, no error line repeating it in the JSON log.
    expect(gateway.stdout()).not.toMatch(/stack|\bat \S+ \(|"level":"error"/);

    // The stack is still there for whoever asks for debug logs.
    const debug = boot({ LOG_LEVEL: 'debug' });
    expect(await debug.exited).toBe(1);
    const stackLines = debug
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"stack"'))
      .map((line) => JSON.parse(line) as { level: string; err: { type: string } });
    expect(stackLines).toEqual([
      expect.objectContaining({
        level: 'debug',
        err: expect.objectContaining({ type: 'ConfigError' }),
      }),
    ]);
  });

  it.each([
    ['on a developer machine', {}],
    ['with SANDBOX=true', { SANDBOX: 'true' }],
    ['in production', { NODE_ENV: 'production' }],
  ])('refuses a TENANTS_FILE that is set but missing %s, in one clean line', async (_case, env) => {
    const gateway = runNode(distFile('main.js'), [], {
      cwd: mkdtempSync(join(tmpdir(), 'bgw-fresh-')),
      env: { PORT: '0', TENANTS_FILE: '/nonexistent/tenants.yaml', ...env },
    });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toMatch(
      /^blooio-gateway: invalid configuration\n {2}TENANTS_FILE: cannot read \/nonexistent\/tenants\.yaml \(ENOENT[^\n]*\)\n$/,
    );
    expect(gateway.stdout()).not.toMatch(/SANDBOX|Demo key|stack/);
  });

  it('logs one summary line at a production boot, with no secret in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-summary-'));
    const file = join(dir, 'tenants.yaml');
    const gatewayKeys = ['bgw_summaryKeyOne', 'bgw_summaryKeyTwo'];
    const secrets = {
      blooioKey: 'bl_summary_s3cret_blooio_key',
      pathSecret: 'p4th-s3cret-token',
      redisPassword: 'r3dis-s3cret-pw',
    };
    writeFileSync(
      file,
      [
        'tenants:',
        '  - id: acme',
        '    blooio: { apiKey: "${SUMMARY_BLOOIO_KEY}" }',
        `    apiKeys: [{ id: orders, sha256: "${hashApiKey(gatewayKeys[0])}" }]`,
        '  - id: globex',
        '    blooio: { apiKey: "${SUMMARY_BLOOIO_KEY}" }',
        `    apiKeys: [{ id: crm, sha256: "${hashApiKey(gatewayKeys[1])}" }]`,
      ].join('\n'),
    );
    const gateway = runNode(distFile('main.js'), [], {
      env: {
        NODE_ENV: 'production',
        TENANTS_FILE: file,
        HOST: '127.0.0.1',
        PORT: '0',
        SUMMARY_BLOOIO_KEY: secrets.blooioKey,
        BLOOIO_BASE_URL: `https://blooio.example:8443/${secrets.pathSecret}/v2/api`,
        // Redis's default user has no password: any password is accepted, and must never show.
        REDIS_URL: `redis://default:${secrets.redisPassword}@127.0.0.1:6379`,
        REDIS_KEY_PREFIX: `bgw-test-summary-${Date.now()}:`,
        DOCS_ENABLED: 'false',
      },
    });
    try {
      await gateway.waitForOutput(/"msg":"blooio-gateway started".*\n/);
      const summaries = gateway
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"msg":"blooio-gateway started"'));
      expect(summaries).toHaveLength(1);
      const summary = JSON.parse(summaries[0]) as Record<string, unknown>;
      expect(summary).toMatchObject({
        level: 'info',
        mode: 'production',
        tenants: { count: 2, ids: ['acme', 'globex'] },
        upstream: 'https://blooio.example:8443',
        store: 'redis',
        docs: false,
        listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      });
      const port = Number(String(summary.listen).split(':')[1]);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    const output = gateway.stdout() + gateway.stderr();
    for (const secret of [
      ...Object.values(secrets),
      ...gatewayKeys,
      ...gatewayKeys.map(hashApiKey),
    ]) {
      expect(output).not.toContain(secret);
    }
  });

  it('refuses to boot in production without a tenant file, and on a bad variable', async () => {
    const missing = runNode(distFile('main.js'), [], {
      env: { NODE_ENV: 'production', TENANTS_FILE: '/nonexistent.yaml' },
    });
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toContain('TENANTS_FILE: cannot read /nonexistent.yaml');

    // Problems from different namespaces (app, blooio, redis) come in one list.
    const badVariables = runNode(distFile('main.js'), [], {
      env: { PORT: 'eighty', BLOOIO_TIMEOUT_MS: '10s', REDIS_URL: 'http://cache' },
    });
    expect(await badVariables.exited).toBe(1);
    expect(badVariables.stderr()).toBe(
      [
        'blooio-gateway: invalid configuration',
        '  PORT: must be a whole number from 0 to 65535 (got "eighty")',
        '  BLOOIO_TIMEOUT_MS: must be a whole number from 100 to 120000 (got "10s")',
        '  REDIS_URL: must be a redis: or rediss: URL',
        '',
      ].join('\n'),
    );
  });

  describe('keys:create', () => {
    it.each(['orders-service', '2024', 'true'])(
      'prints a new key and a tenant-file entry that authenticates it (key id %s)',
      async (keyId) => {
        const cli = runNode(distFile('cli/create-api-key.js'), [
          '--tenant',
          'acme',
          '--id',
          keyId,
          '--scopes',
          'messages:send',
        ]);
        expect(await cli.exited).toBe(0);
        const key = /^\s+(bgw_[0-9A-Za-z]{40})$/m.exec(cli.stdout())?.[1];
        const digest = /sha256: "([0-9a-f]{64})"/.exec(cli.stdout())?.[1];
        expect(key).toBeDefined();
        expect(digest).toBe(hashApiKey(key ?? ''));
        expect(cli.stdout()).toContain(`      - id: "${keyId}"`);
        expect(cli.stdout()).toContain('        scopes: ["messages:send"]');

        // The printed entry is valid in a tenant file and authenticates the printed key.
        const entry = cli
          .stdout()
          .split('\n')
          .filter((line) => line.startsWith('      '));
        const yaml = [
          'tenants:',
          '  - id: acme',
          '    blooio: { apiKey: k }',
          '    apiKeys:',
          ...entry,
        ].join('\n');
        const { parse } = await import('yaml');
        const registry = parseTenantsDocument(parse(yaml), {
          env: {},
          rateLimitDefaults: { perSecond: 1, perMinute: 1 },
          baseDir: '/',
        });
        expect(registry.authenticate(key ?? '')?.keyId).toBe(keyId);
      },
    );

    it.each([
      [[], /^keys:create: --tenant is required\n/],
      [['--id', 'svc'], /^keys:create: --tenant is required\n/],
      [['--tenant', '', '--id', 'svc'], /^keys:create: --tenant is required\n/],
      [['--tenant', 'Acme Corp', '--id', 'svc'], /^keys:create: --tenant must match /],
      [['--tenant', 'acme'], /^keys:create: --id is required\n/],
      [['--tenant', 'acme', '--id', 'a b'], /^keys:create: --id must be 1 to 64 /],
      [
        ['--tenant', 'acme', '--id', 'svc', '--scopes', 'messages:delete'],
        /unknown scope messages:delete/,
      ],
      [['--tenant', 'acme', '--id', 'svc', '--bogus'], /bogus/],
    ])('refuses %j', async (args, message) => {
      const cli = runNode(distFile('cli/create-api-key.js'), args);
      expect(await cli.exited).toBe(2);
      expect(cli.stderr()).toMatch(message);
      expect(cli.stdout()).toBe('');
    });
  });
});
