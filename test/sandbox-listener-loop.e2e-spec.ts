import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distFile, freePort, runNode } from './support/process';

jest.setTimeout(60_000);

/**
 * Issue 19 item 6, the whole developer loop as a user runs it (needs the delivery engine):
 * `npm start` with SANDBOX_WEBHOOK_URL, the banner's `webhooks:listen` command, a send, and the
 * listener verifies message.sent, .delivered, .read and the simulated reply.
 */
describe("the sandbox pushes the demo tenant's events to webhooks:listen (e2e, built gateway)", () => {
  const start = (env: Record<string, string>) =>
    runNode(distFile('main.js'), [], {
      cwd: mkdtempSync(join(tmpdir(), 'bgw-sandbox-loop-')),
      env,
    });

  it('closes the loop: a send, and webhooks:listen with the printed secret verifies every event', async () => {
    const [port, listenPort] = [await freePort(), await freePort()];
    const key = 'bgw_sandboxListenerLoopKey000000000000000000';
    const gateway = start({
      PORT: String(port),
      SANDBOX_API_KEY: key,
      SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${listenPort}/hooks`,
    });
    let listener: ReturnType<typeof runNode> | undefined;
    try {
      const [, secret] = await gateway.waitForOutput(/Secret: {6}(whsec_\S+)/);
      // The command the banner printed, as a developer pastes it.
      const [, args] = await gateway.waitForOutput(/Listen: {6}npm run webhooks:listen -- (.+)/);
      expect(args).toBe(`--port ${listenPort} --secret ${secret}`);
      listener = runNode(distFile('cli/webhook-listen.js'), args.split(' '));
      await listener.waitForOutput(/listening on/);
      const sent = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ recipients: ['+15551234567'], text: 'Loop?' }),
      });
      expect(sent.status).toBe(202);
      const { messageId } = (await sent.json()) as { messageId: string };
      for (const type of ['message.sent', 'message.delivered', 'message.read']) {
        await listener.waitForOutput(
          new RegExp(
            `verified {2}204 ${type.replace('.', '\\.')} {2}webhook-id=evt_[a-z2-7]{26} {2}messageId=${messageId}\n`,
          ),
          30_000,
        );
      }
      // The simulated reply, about 8 s after the send.
      await listener.waitForOutput(/verified {2}204 message\.received {2}webhook-id=evt_/, 30_000);
      expect(listener.stdout()).not.toMatch(/REFUSED/);
      // The deliveries logged nothing of it: only the banner's two lines hold the secret.
      const holding = gateway
        .stdout()
        .split('\n')
        .filter((line) => line.includes(secret.slice(6)));
      expect(holding).toHaveLength(2);
    } finally {
      await listener?.stop();
      await gateway.stop();
    }
  });
});
