import { SIMULATOR_MAGIC_NUMBERS } from '../src/sandbox/blooio-simulator';
import { SandboxService } from '../src/sandbox/sandbox.service';
import { SANDBOX_BLOOIO_KEY } from '../src/tenants/sandbox-tenant';
import { bearer, startGateway } from './support/gateway';

describe('sandbox mode (e2e)', () => {
  it('sends end to end through the built-in simulator with the demo key, no configuration needed', async () => {
    const gateway = await startGateway({
      env: { SANDBOX: 'true' },
    });
    try {
      const sandbox = gateway.app.get(SandboxService);
      expect(sandbox).toMatchObject({
        enabled: true,
        usesDemoTenant: true,
        demoApiKeyGenerated: true,
      });
      expect(sandbox.demoApiKey).toMatch(/^bgw_[0-9A-Za-z]{40}$/);

      const send = () => gateway.http().post('/v1/messages').set(bearer(sandbox.demoApiKey));
      const single = await send()
        .send({ recipients: ['(555) 123-4567'], text: 'Hello from the sandbox' })
        .expect(202);
      expect(single.body).toMatchObject({
        messageId: expect.stringMatching(/^msg_/),
        status: 'queued',
        chatId: '+15551234567',
        sender: '+15550001111',
      });

      const group = await send()
        .send({ recipients: ['+15551234567', 'friend@example.com'], text: 'hi both' })
        .expect(202);
      expect(group.body).toMatchObject({
        groupId: expect.stringMatching(/^grp_/),
        groupCreated: true,
      });

      const replay = await send()
        .set('Idempotency-Key', 'sandbox-1')
        .send({ recipients: ['+15551234567'], text: 'once' })
        .expect(202);
      const again = await send()
        .set('Idempotency-Key', 'sandbox-1')
        .send({ recipients: ['+15551234567'], text: 'once' })
        .expect(200);
      expect(again.body.messageId).toBe(replay.body.messageId);

      const refused = await send()
        .send({ recipients: ['+15005550001'], text: 'x' })
        .expect(403);
      expect(refused.body).toMatchObject({
        code: 'upstream_rejected',
        upstream: { code: 'inbound_only_no_prior_inbound' },
      });
    } finally {
      await gateway.close();
    }
  });

  it('uses SANDBOX_API_KEY as the demo key when it is set', async () => {
    const gateway = await startGateway({
      env: {
        SANDBOX: 'true',
        SANDBOX_API_KEY: 'bgw_myFixedSandboxKey',
      },
    });
    try {
      await gateway
        .http()
        .post('/v1/messages')
        .set(bearer('bgw_myFixedSandboxKey'))
        .send({ recipients: ['+15551234567'], text: 'hi' })
        .expect(202);
      await gateway
        .http()
        .post('/v1/messages')
        .set(bearer('bgw_other'))
        .send({ recipients: ['+15551234567'], text: 'hi' })
        .expect(401);
    } finally {
      await gateway.close();
    }
  });

  it("checks Blooio keys like Blooio: the simulator takes the tenants' keys only, and its keyRefused recipient is 502 upstream_auth_failed", async () => {
    const gateway = await startGateway({ env: { SANDBOX: 'true' } });
    try {
      const sandbox = gateway.app.get(SandboxService);
      const simulatorUrl = await sandbox.startSimulator();
      const sent = await gateway
        .http()
        .post('/v1/messages')
        .set(bearer(sandbox.demoApiKey))
        .send({ recipients: ['+15551234567'], text: 'hi' })
        .expect(202);
      const statusUrl = `${simulatorUrl}/chats/%2B15551234567/messages/${sent.body.messageId}/status`;
      const asDemo = await fetch(statusUrl, { headers: bearer(SANDBOX_BLOOIO_KEY) });
      expect(asDemo.status).toBe(200);
      expect(await asDemo.json()).toMatchObject({ message_id: sent.body.messageId });
      const unknown = await fetch(statusUrl, { headers: bearer('bl_live_someone_else') });
      expect(unknown.status).toBe(401);
      expect(await unknown.json()).toEqual({
        error: 'ApiError',
        message: 'Invalid API key',
        status: 401,
        code: 'invalid_api_key',
      });
      expect((await fetch(statusUrl)).status).toBe(401);

      const refused = await gateway
        .http()
        .post('/v1/messages')
        .set(bearer(sandbox.demoApiKey))
        .send({ recipients: [SIMULATOR_MAGIC_NUMBERS.keyRefused], text: 'hi' })
        .expect(502);
      expect(refused.body).toMatchObject({
        code: 'upstream_auth_failed',
        upstream: { status: 401, code: 'invalid_api_key' },
      });
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start in production without a tenant file', async () => {
    await expect(
      startGateway({
        env: { NODE_ENV: 'production', SANDBOX: '' },
      }),
    ).rejects.toThrow(/TENANTS_FILE: cannot read .*config\/tenants\.yaml/);
  });

  it.each([
    ['on a developer machine', {}],
    ['with SANDBOX=true', { SANDBOX: 'true' }],
    ['in production', { NODE_ENV: 'production' }],
  ])('refuses a TENANTS_FILE that is set but missing %s: no quiet sandbox', async (_case, env) => {
    await expect(
      startGateway({
        env: { SANDBOX: '', ...env, TENANTS_FILE: '/nonexistent/tenants.yaml' },
      }),
    ).rejects.toThrow(/TENANTS_FILE: cannot read \/nonexistent\/tenants\.yaml/);
  });
});

describe('documented examples (e2e)', () => {
  it('every request example in the OpenAPI document is accepted by the sandbox (what "Try it out" sends)', async () => {
    const gateway = await startGateway({
      env: { SANDBOX: 'true' },
    });
    try {
      const { demoApiKey } = gateway.app.get(SandboxService);
      const document = (await gateway.http().get('/docs/openapi.json').expect(200)).body as {
        paths: {
          '/v1/messages': {
            post: {
              requestBody: {
                content: { 'application/json': { examples: Record<string, { value: object }> } };
              };
            };
          };
        };
      };
      const examples = Object.entries(
        document.paths['/v1/messages'].post.requestBody.content['application/json'].examples,
      );
      expect(examples.length).toBeGreaterThanOrEqual(5);
      for (const [name, { value }] of examples) {
        const response = await gateway
          .http()
          .post('/v1/messages')
          .set(bearer(demoApiKey))
          .send(value);
        expect({ name, status: response.status }).toEqual({ name, status: 202 });
      }
    } finally {
      await gateway.close();
    }
  });
});
