import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSkipped } from './support/skip';
import { distFile, freePort, runNode, type RunningProcess } from './support/process';

/**
 * The README's "Pushing events to your apps" commands, run as written with bash and curl against
 * the built sandbox (`node dist/main.js`) subscribed to a `webhooks:listen` listener, as the Quick
 * start sets it up: each command answers what the README says, and the listener sees the replays.
 */

jest.setTimeout(90_000);

const SECRET = 'whsec_UmVhZG1lUHVzaFNlY3Rpb25MaXN0ZW5lclNlY3JldDA=';
const KEY = 'bgw_readmePushSectionKey0000000000000000000000';

/** The bash blocks of one README section, in order. */
function bashBlocks(section: string): string[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${section}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return [...readme.slice(start, end).matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body]) => body);
}

/** `describe` where curl is installed; elsewhere skipped, saying why. */
function describeWithCurl(name: string, suite: () => void): void {
  if (spawnSync('curl', ['--version']).status === 0) describe(name, suite);
  else describeSkipped(name, 'curl is not installed', suite);
}

describeWithCurl("the README's push commands against the sandbox (e2e)", () => {
  let listener: RunningProcess;
  let gateway: RunningProcess;
  let gw: string;

  beforeAll(async () => {
    const [listenPort, gatewayPort] = [await freePort(), await freePort()];
    listener = runNode(distFile('cli/webhook-listen.js'), [
      '--port',
      String(listenPort),
      '--secret',
      SECRET,
    ]);
    await listener.waitForOutput(/listening on/);
    gateway = runNode(distFile('main.js'), [], {
      // An empty folder: no config/tenants.yaml, so the demo tenant (sandbox mode).
      cwd: mkdtempSync(join(tmpdir(), 'bgw-readme-push-')),
      env: {
        HOST: '127.0.0.1',
        PORT: String(gatewayPort),
        SANDBOX_API_KEY: KEY,
        SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${listenPort}`,
        SANDBOX_WEBHOOK_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      },
    });
    await gateway.waitForOutput(/SANDBOX mode/);
    gw = `http://127.0.0.1:${gatewayPort}`;
    for (let ready = false; !ready;) {
      ready = (await fetch(`${gw}/health/ready`).catch(() => undefined))?.status === 200;
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(async () => {
    await gateway?.stop();
    await listener?.stop();
  });

  it('answers each command as the README says, and the listener gets the replays', async () => {
    // "Status and events" first: a send, whose events (and the simulated reply) reach the listener.
    const [send] = bashBlocks('Status and events');
    const sendOnly = send.slice(0, send.indexOf('\n# its status now'));
    const bash = (script: string) =>
      spawnSync('bash', ['--norc', '--noprofile', '-e', '-c', script], {
        env: { PATH: process.env.PATH, KEY, GW: gw },
        encoding: 'utf8',
        timeout: 30_000,
      });
    expect(bash(sendOnly).status).toBe(0);
    const [, replyId] = await listener.waitForOutput(
      /verified\s+204 message\.received\s+webhook-id=(evt_[a-z2-7]{26})/,
    );

    const [push] = bashBlocks('Pushing events to your apps').slice(-1);
    const run = bash(push);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const answers = run.stdout.replace(/\}\{/g, '}\n{').split('\n');
    const parsed = answers.map((line) => JSON.parse(line) as Record<string, unknown>);
    const endpoint = { id: 'sandbox-listener', state: 'enabled' };
    expect(parsed).toEqual([
      { data: [expect.objectContaining(endpoint)] },
      { delivered: true, status: 204, durationMs: expect.any(Number) },
      expect.objectContaining({
        id: replyId,
        type: 'message.received',
        deliveries: [expect.objectContaining({ endpointId: endpoint.id, state: 'delivered' })],
      }),
      { eventId: replyId, endpointIds: [endpoint.id] },
      { eventId: replyId, endpointIds: [endpoint.id] },
      expect.objectContaining(endpoint),
    ]);
    // The test delivery, then the two replays with the reply's webhook-id again.
    await listener.waitForOutput(/verified\s+204 webhook\.test/);
    const seenAgain = new RegExp(
      `webhook-id=${replyId}.*seen before[\\s\\S]*webhook-id=${replyId}.*seen before`,
    );
    await listener.waitForOutput(seenAgain);
    expect(listener.stdout()).not.toMatch(/refused|401/);
  });
});
