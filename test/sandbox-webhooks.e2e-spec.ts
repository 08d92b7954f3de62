import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_LOG_STORE, type EventLogStore } from '../src/events/event-log-store.interface';
import { createLogger } from '../src/logging/logger';
import { SandboxService } from '../src/sandbox/sandbox.service';
import { loopbackUrlOf, registerSandboxReceivers } from '../src/sandbox-receivers';
import { SANDBOX_SENDERS } from '../src/tenants/sandbox-tenant';
import { bearer, startGateway, type TestGateway } from './support/gateway';
import { LogCapture } from './support/log-capture';
import { distFile, freePort, runNode } from './support/process';

jest.setTimeout(60_000);

/**
 * DESIGN §7: in sandbox mode the gateway registers its own receiver with the simulator at boot,
 * and the simulator's signed webhooks for a send come back into the event log. Booted as main.ts
 * does it: setupApp, listen, then registerSandboxReceivers.
 */
describe('the sandbox closes the loop: send → signed webhooks → the event log (e2e)', () => {
  let gateway: TestGateway;
  const bootLog = new LogCapture();

  beforeAll(async () => {
    gateway = await startGateway({ env: { SANDBOX: 'true' } });
    await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    const registered = await registerSandboxReceivers(
      gateway.app,
      loopbackUrlOf(gateway.app.getHttpServer()),
      createLogger('info', bootLog),
    );
    expect(registered).toEqual(['demo']);
  });
  afterAll(() => gateway.close());

  it('shows the reply in the event log and answers every status webhook 204', async () => {
    const { demoApiKey } = gateway.app.get(SandboxService);
    const sent = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(demoApiKey))
      .send({ recipients: ['+15551234567'], text: 'Are we still on for 3pm?' })
      .expect(202);
    const messageId = (sent.body as { messageId: string }).messageId;

    const log = gateway.app.get<EventLogStore>(EVENT_LOG_STORE);
    // The simulator replies about 8 s after the send (its default timeline in sandbox mode).
    const deadline = Date.now() + 30_000;
    let reply;
    while (!reply && Date.now() < deadline) {
      reply = (await log.list('demo', { limit: 100, type: 'message.received' })).data[0];
      if (!reply) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(reply).toMatchObject({
      type: 'message.received',
      tenantId: 'demo',
      data: { direction: 'inbound', from: '+15551234567', to: SANDBOX_SENDERS[0] },
    });

    // Every status webhook of the send reached the receiver, signed, and was answered 204:
    // recorded, or waiting for the message's record (README, "Blooio's webhooks").
    const receiverLines = gateway.logs
      .records()
      .filter((line) => line.route === '/webhooks/blooio/:tenantId');
    for (const event of ['message.sent', 'message.delivered', 'message.read']) {
      expect(receiverLines).toContainEqual(
        expect.objectContaining({
          status: 204,
          tenant: 'demo',
          webhookEvent: event,
          webhookOutcome: expect.stringMatching(/^(accepted|deferred)$/),
        }),
      );
    }
    expect(receiverLines.filter((line) => line.status !== 204)).toEqual([]);
    expect(messageId).toMatch(/^msg_/);
    // The one-time secret stays in memory: not in any log.
    expect(gateway.logs.text + bootLog.text).not.toMatch(/whsec_/);
  });
});

describe('npm start in a fresh folder closes the loop too (e2e, the built gateway)', () => {
  it('logs the simulator’s signed webhooks for a send as received by its own receiver', async () => {
    const port = await freePort();
    const gateway = runNode(distFile('main.js'), [], {
      cwd: mkdtempSync(join(tmpdir(), 'bgw-loop-')),
      env: { PORT: String(port) },
    });
    try {
      const [, key] = await gateway.waitForOutput(/Demo key:\s+(bgw_[0-9A-Za-z]{40})/);
      const response = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ recipients: ['+15551234567'], text: 'hello' }),
      });
      expect(response.status).toBe(202);
      // The simulated reply, about 8 s later, is recorded in the demo tenant's event log.
      await gateway.waitForOutput(
        /"route":"\/webhooks\/blooio\/:tenantId","status":204,"tenant":"demo","webhookEvent":"message.received","webhookOutcome":"accepted"/,
        30_000,
      );
      expect(gateway.stdout()).not.toMatch(/whsec_|x-blooio-signature/i);
    } finally {
      await gateway.stop();
    }
  });
});
