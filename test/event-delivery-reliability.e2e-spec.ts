import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startGatewayProcess, type RunningProcess } from './support/process';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import {
  acmeTestEndpoints,
  KEYS,
  ACME_SENDERS,
  ENDPOINT_SECRETS,
  testTenantsDocument,
  WEBHOOK_SECRETS,
} from './support/tenants.fixture';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** One delivery the endpoint received: verified with the standardwebhooks package. */
interface Received {
  webhookId: string;
  messageId: string;
  verified: boolean;
  /** The endpoint answered it (the connection was still there when it did). */
  answered: boolean;
}

/**
 * A tenant's endpoint: verifies each delivery with its own code (the `standardwebhooks` package),
 * answers 200 after `answerAfterMs` (so deliveries are in flight when a replica is killed), or
 * 500 while `failing` is set.
 */
class Endpoint {
  readonly received: Received[] = [];
  failing = false;
  private readonly verifier = new Webhook(ENDPOINT_SECRETS.acmeCrm);
  private readonly server: Server;
  url = '';

  private constructor(answerAfterMs: number) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const entry = this.record(Buffer.concat(chunks).toString(), request.headers);
        setTimeout(() => {
          if (this.failing) {
            response.writeHead(500).end();
            return;
          }
          if (!response.destroyed) entry.answered = true;
          response.writeHead(200).end();
        }, answerAfterMs);
      });
    });
  }

  static async start(answerAfterMs: number): Promise<Endpoint> {
    const endpoint = new Endpoint(answerAfterMs);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    const address = endpoint.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    endpoint.url = `http://127.0.0.1:${port}/hooks/crm`;
    return endpoint;
  }

  /** Message ids delivered and answered 200 at least once. */
  answeredMessageIds(): Set<string> {
    return new Set(this.received.filter((r) => r.answered).map((r) => r.messageId));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private record(body: string, headers: IncomingHttpHeaders): Received {
    let verified = false;
    let messageId = '';
    try {
      const event = this.verifier.verify(body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      }) as { id: string; data: { messageId: string } };
      verified = event.id === headers['webhook-id'];
      messageId = event.data.messageId;
    } catch {
      verified = false;
    }
    const entry = {
      webhookId: String(headers['webhook-id']),
      messageId,
      verified,
      answered: false,
    };
    this.received.push(entry);
    return entry;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const signBlooio = (body: string) => {
  const t = nowSeconds();
  const v1 = createHmac('sha256', WEBHOOK_SECRETS.acme).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
};

/** A message from a contact to acme's number: an event routed to acme alone. */
function inboundEvent(messageId: string): string {
  return JSON.stringify({
    event: 'message.received',
    message_id: messageId,
    external_id: '+15551234567',
    status: 'received',
    protocol: 'imessage',
    timestamp: Date.now(),
    internal_id: ACME_SENDERS[0],
    is_group: false,
    sender: '+15551234567',
    text: `reply ${messageId}`,
  });
}

describeWithRedis('event delivery reliability: real replicas, real Redis (e2e)', () => {
  jest.setTimeout(120_000);
  let prefix = uniqueKeyPrefix();
  const started: RunningProcess[] = [];
  let endpoint: Endpoint;

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    for (const child of started.splice(0)) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    await endpoint?.close();
    await deleteKeys(prefix);
  });

  /** `node dist/main.js` with acme's endpoint at `endpoint.url`, on `redisUrl`. */
  async function replica(redisUrl: string, env: Record<string, string> = {}) {
    const { process: child, url: base } = await startGatewayProcess(
      testTenantsDocument({ acmeWebhooks: acmeTestEndpoints(endpoint.url) }),
      {
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        EVENT_RETRY_SCHEDULE: '200ms,300ms,500ms,1s,1s,2s,2s,2s',
        EVENT_DELIVERY_STALLED_MS: '1000',
        SHUTDOWN_DELAY_MS: '0',
        RATE_LIMIT_READS_PER_SECOND: '1000',
        LOG_LEVEL: 'warn',
        ...env,
      },
    );
    started.push(child);
    /** Posts a signed Blooio webhook; resolves with the status, or 0 when nothing answered. */
    const blooio = (messageId: string) => {
      const body = inboundEvent(messageId);
      return fetch(`${base}/webhooks/blooio/acme`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-blooio-signature': signBlooio(body) },
        body,
      }).then(
        (response) => response.status,
        () => 0,
      );
    };
    /** The event's deliveries as `GET /v1/events/{id}` shows them. */
    const deliveriesOf = async (eventId: string) => {
      const response = await fetch(`${base}/v1/events/${eventId}`, {
        headers: { authorization: `Bearer ${KEYS.acmeRotated}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { deliveries: { endpointId: string; state: string }[] })
        .deliveries;
    };
    return { process: child, blooio, deliveriesOf };
  }

  /** Every event's one delivery, as the gateway reports it, is `delivered` (none left pending). */
  async function expectReportedDelivered(
    gateway: { deliveriesOf: (eventId: string) => Promise<unknown[]> },
    deadlineMs = 10_000,
  ) {
    const eventIds = [...new Set(endpoint.received.map((delivery) => delivery.webhookId))];
    const deadline = Date.now() + deadlineMs;
    for (const eventId of eventIds) {
      let deliveries = await gateway.deliveriesOf(eventId);
      while (JSON.stringify(deliveries).includes('"pending"') && Date.now() < deadline) {
        await sleep(100);
        deliveries = await gateway.deliveriesOf(eventId);
      }
      expect(deliveries).toEqual([
        expect.objectContaining({ endpointId: 'crm-inbox', state: 'delivered' }),
      ]);
    }
  }

  /** As Blooio does: retries a webhook on 5xx or no answer, here on the replicas in turn. */
  async function deliverAsBlooio(
    replicas: { blooio: (messageId: string) => Promise<number> }[],
    messageId: string,
    deadlineMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (let i = 0; ; i += 1) {
      if ((await replicas[i % replicas.length].blooio(messageId)) === 204) return;
      if (Date.now() > deadline) throw new Error(`Blooio's webhook ${messageId} never taken`);
      await sleep(100);
    }
  }

  function expectEveryEventDelivered(messageIds: string[]) {
    expect(endpoint.received.every((delivery) => delivery.verified)).toBe(true);
    const answered = endpoint.answeredMessageIds();
    expect(messageIds.filter((id) => !answered.has(id))).toEqual([]);
    // Duplicates (at-least-once) share one webhook-id: one id per event, one event per id.
    const idsOf = new Map<string, Set<string>>();
    for (const { messageId, webhookId } of endpoint.received) {
      idsOf.set(messageId, (idsOf.get(messageId) ?? new Set()).add(webhookId));
    }
    expect([...idsOf.values()].every((ids) => ids.size === 1)).toBe(true);
    const webhookIds = [...idsOf.values()].map((ids) => [...ids][0]);
    expect(new Set(webhookIds).size).toBe(messageIds.length);
    expect([...idsOf.keys()].sort()).toEqual([...messageIds].sort());
  }

  it('delivers every event at least once when one of two replicas is killed (-9) mid-delivery', async () => {
    endpoint = await Endpoint.start(400);
    const a = await replica(TEST_REDIS_URL);
    const b = await replica(TEST_REDIS_URL);
    const messageIds = Array.from({ length: 40 }, (_, i) => `msg-kill-${i}`);

    // Blooio's webhooks spread over both replicas while deliveries run.
    const first = messageIds.slice(0, 20);
    await Promise.all(first.map((id, i) => deliverAsBlooio(i % 2 ? [a, b] : [b, a], id)));
    await waitFor('deliveries in flight', () => endpoint.received.length >= 8, 20_000);
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    const killedAt = Date.now();
    const inFlightAtKill = endpoint.received.filter((r) => !r.answered).length;
    expect(inFlightAtKill).toBeGreaterThan(0);

    // The rest reaches the surviving replica (Blooio retries what the dead one did not answer).
    const rest = messageIds.slice(20);
    await Promise.all(rest.map((id) => deliverAsBlooio([a, b], id)));
    await waitFor(
      'every event answered by the endpoint',
      () => endpoint.answeredMessageIds().size === messageIds.length,
      60_000,
    );
    const allDeliveredAfterKillMs = Date.now() - killedAt;
    expectEveryEventDelivered(messageIds);
    await expectReportedDelivered(b);
    process.stdout.write(
      `kill -9: ${inFlightAtKill} deliveries in flight at the kill; every event delivered ` +
        `${allDeliveredAfterKillMs} ms after it (${endpoint.received.length} requests for ` +
        `${messageIds.length} events)\n`,
    );
  });

  it('resumes deliveries once Redis is back after a cut mid-stream', async () => {
    endpoint = await Endpoint.start(20);
    const redis = new URL(TEST_REDIS_URL);
    const proxy = await TcpProxy.start({ host: redis.hostname, port: Number(redis.port || 6379) });
    try {
      const gateway = await replica(`redis://127.0.0.1:${proxy.port}`);
      const before = Array.from({ length: 10 }, (_, i) => `msg-cut-before-${i}`);
      const during = Array.from({ length: 10 }, (_, i) => `msg-cut-during-${i}`);

      // The endpoint fails for a while: these deliveries wait for their retries across the cut.
      endpoint.failing = true;
      await Promise.all(before.map((id) => deliverAsBlooio([gateway], id)));
      await waitFor('first attempts', () => endpoint.received.length >= before.length, 10_000);

      await proxy.cut();
      endpoint.failing = false;
      // While Redis is away Blooio's webhooks are refused (503) so that Blooio retries them.
      expect(await gateway.blooio(during[0])).toBe(503);
      await sleep(1_500);
      await proxy.restore();
      const restoredAt = Date.now();

      await Promise.all(during.map((id) => deliverAsBlooio([gateway], id)));
      await waitFor(
        'every event answered',
        () => endpoint.answeredMessageIds().size === before.length + during.length,
        30_000,
      );
      const resumedAfterMs = Date.now() - restoredAt;
      expectEveryEventDelivered([...before, ...during]);
      // Those the endpoint failed before the cut were retried after it: two attempts at least.
      for (const id of before) {
        expect(endpoint.received.filter((r) => r.messageId === id).length).toBeGreaterThan(1);
      }
      await expectReportedDelivered(gateway);
      process.stdout.write(
        `Redis cut: every event delivered ${resumedAfterMs} ms after Redis came back\n`,
      );
    } finally {
      await proxy.close();
    }
  });
});
