import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { stringify } from 'yaml';
import { hashApiKey } from '../src/common/api-key';
import { blooioSignatureHeader } from '../src/blooio-webhooks/blooio-signature';
import { generateWebhookSecret } from '../src/common/webhook-secret';
import { BlooioSimulator } from '../src/sandbox/blooio-simulator';
import { distFile, freePort, runNode, type RunningProcess } from './support/process';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { BLOOIO_KEYS } from './support/tenants.fixture';

/**
 * Pushing events to tenant endpoints, black box (DESIGN §11), in memory mode and on Redis (BullMQ
 * and the Redis delivery store, under a key prefix of its own): the built gateway as
 * a process, Blooio's simulator for the sends, and the tenant's endpoints as local HTTP servers
 * that verify every delivery with the `standardwebhooks` package (not the gateway's own code).
 * One tenant, seven endpoints, each with its own behaviour; every Blooio event reaches all seven.
 */

jest.setTimeout(60_000);

const BLOOIO_SECRET = 'whsec_eventDeliverySuiteBlooioSecret00';
const SENDER = '+15550001111';
const CONTACT = '+15551234567';
const API_KEY = 'bgw_eventDeliverySuiteKey0000000000000000';
const RETRY_SCHEDULE = '100ms,200ms,300ms';
const TIMEOUT_MS = 1_500;
const FLAKY_FAILURES = 2;
const UMBRELLA = {
  secret: 'whsec_eventDeliverySuiteUmbrellaSecret',
  number: '+15550009999',
  endpoint: 'umbrella-app',
};

type Behaviour = (attempt: number, response: ServerResponse) => void;

interface Delivery {
  at: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** The standardwebhooks package's verdict: the event, or why not. */
  verified: { ok: true; event: { id: string; type: string } } | { ok: false; reason: string };
}

interface Endpoint {
  id: string;
  url: string;
  secrets: string[];
  deliveries: Delivery[];
  /** Deliveries of one event, in order. */
  of: (eventId: string) => Delivery[];
  behaviour: Behaviour;
}

const ok: Behaviour = (_attempt, response) => void response.writeHead(204).end();
const status =
  (code: number): Behaviour =>
  (_attempt, response) =>
    void response.writeHead(code, { 'content-type': 'text/plain' }).end(`status ${code}`);

/** One gateway, its endpoints and the suite, with the queue and stores in memory or on Redis. */
function deliverySuite(mode: 'memory' | 'redis'): void {
  const prefix = uniqueKeyPrefix();
  const servers: { server: Server; sockets: Set<Socket> }[] = [];
  let upstream: BlooioSimulator;
  let gateway: RunningProcess;
  let base: string;
  let dir: string;
  const endpoints = new Map<string, Endpoint>();

  async function startEndpoint(
    id: string,
    behaviour: Behaviour,
    share?: Endpoint,
  ): Promise<Endpoint> {
    const secrets = [generateWebhookSecret(), generateWebhookSecret()];
    const endpoint: Endpoint = {
      id,
      url: '',
      secrets,
      deliveries: [],
      of: (eventId) => endpoint.deliveries.filter((d) => d.headers['webhook-id'] === eventId),
      behaviour,
    };
    const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
      let verified: Delivery['verified'];
      try {
        // Verified against the second secret alone: every configured secret signs.
        const event = new Webhook(endpoint.secrets[1]).verify(body, {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        }) as { id: string; type: string };
        verified = { ok: true, event };
      } catch (error) {
        verified = { ok: false, reason: (error as Error).message };
      }
      endpoint.deliveries.push({ at: Date.now(), headers: request.headers, body, verified });
      endpoint.behaviour(endpoint.deliveries.length, response);
    };
    if (share) {
      // A second path on the same server (same host and port): one pool to the origin.
      endpoint.url = share.url.replace(/\/hooks\/.*$/, `/hooks/${id}`);
      routes.set(`/hooks/${id}`, handle);
    } else {
      const sockets = new Set<Socket>();
      const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () =>
          routes.get(request.url ?? '')?.(
            request,
            response,
            Buffer.concat(chunks).toString('utf8'),
          ),
        );
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push({ server, sockets });
      endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${id}`;
      routes.set(`/hooks/${id}`, handle);
    }
    endpoints.set(id, endpoint);
    return endpoint;
  }
  const routes = new Map<
    string,
    (req: IncomingMessage, res: ServerResponse, body: string) => void
  >();

  const endpoint = (id: string) => endpoints.get(id)!;

  async function api(
    method: string,
    path: string,
    body?: unknown,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several routes, read by the tests
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** A message sent through the gateway (so its record is acme's), then a status event for it from "Blooio". */
  async function sendMessage(): Promise<string> {
    const sent = await api('POST', '/v1/messages', { recipients: [CONTACT], text: 'hi' });
    expect(sent.status).toBe(202);
    return sent.body.messageId as string;
  }

  /** Posts a body to a tenant's Blooio receiver, signed as Blooio signs. */
  async function postBlooio(tenant: string, secret: string, body: object): Promise<void> {
    const raw = Buffer.from(JSON.stringify(body));
    const answer = await fetch(`${base}/webhooks/blooio/${tenant}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-blooio-signature': blooioSignatureHeader(secret, Math.floor(Date.now() / 1000), raw),
      },
      body: raw,
    });
    expect(answer.status).toBe(204);
  }

  const statusBody = (event: string, messageId: string) => ({
    event,
    message_id: messageId,
    external_id: CONTACT,
    status: event.split('.')[1],
    protocol: 'imessage',
    timestamp: Date.now(),
    internal_id: SENDER,
    is_group: false,
  });

  /** A status event for one of acme's messages; the id of the gateway event it became. */
  async function blooioEvent(event: string, messageId: string): Promise<string> {
    await postBlooio('acme', BLOOIO_SECRET, statusBody(event, messageId));
    const events = await api('GET', `/v1/events?messageId=${messageId}&type=${event}`);
    expect(events.body.data).toHaveLength(1);
    return events.body.data[0].id as string;
  }

  async function until<T>(
    what: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(25);
    }
  }

  const deliveriesOf = async (eventId: string) => {
    const answer = await api('GET', `/v1/events/${eventId}`);
    expect(answer.status).toBe(200);
    return answer.body.deliveries as {
      endpointId: string;
      state: string;
      attempts: { at: string; status?: number; error?: string; durationMs: number }[];
      nextAttemptAt?: string;
    }[];
  };
  interface EndpointRow {
    id: string;
    state: string;
    lastSuccessAt?: string;
    failingSince?: string;
  }
  const endpointRows = async (): Promise<EndpointRow[]> =>
    (await api('GET', '/v1/webhook-endpoints')).body.data as EndpointRow[];
  const endpointRow = async (id: string) => (await endpointRows()).find((row) => row.id === id);

  const deliveryTo = async (eventId: string, endpointId: string) =>
    (await deliveriesOf(eventId)).find((d) => d.endpointId === endpointId);

  beforeAll(async () => {
    const hungResponses: ServerResponse[] = [];
    const healthy = await startEndpoint('healthy', ok);
    await startEndpoint('second', ok);
    await startEndpoint('flaky', (attempt, response) =>
      attempt <= FLAKY_FAILURES ? status(500)(attempt, response) : ok(attempt, response),
    );
    await startEndpoint('gone', status(410));
    await startEndpoint('dead', status(500));
    // Never answers; on the healthy one's server, so they share a host and port.
    await startEndpoint(
      'hanging',
      (_attempt, response) => void hungResponses.push(response),
      healthy,
    );
    await startEndpoint(
      'mover',
      (_attempt, response) => void response.writeHead(302, { location: healthy.url }).end(),
    );

    await startEndpoint(UMBRELLA.endpoint, ok);

    upstream = await BlooioSimulator.start({ apiKeys: [BLOOIO_KEYS.acme] });
    dir = mkdtempSync(join(tmpdir(), 'bgw-event-delivery-'));
    const tenantsFile = join(dir, 'tenants.yaml');
    writeFileSync(
      tenantsFile,
      stringify({
        tenants: [
          {
            id: 'acme',
            blooio: {
              apiKey: BLOOIO_KEYS.acme,
              senders: [SENDER],
              webhook: { signingSecrets: [BLOOIO_SECRET] },
            },
            apiKeys: [{ id: 'suite', sha256: hashApiKey(API_KEY) }],
            webhooks: [...endpoints.values()]
              .filter((e) => e.id !== UMBRELLA.endpoint)
              .map((e) => ({
                id: e.id,
                url: e.url,
                events: ['message.*'],
                secrets: e.secrets,
              })),
          },
          {
            // acme's Blooio key, shared: it sees acme's events at Blooio and must never get them.
            id: 'umbrella',
            blooio: {
              apiKey: BLOOIO_KEYS.acme,
              senders: [UMBRELLA.number],
              webhook: { signingSecrets: [UMBRELLA.secret] },
            },
            apiKeys: [{ id: 'umbrella-app', sha256: hashApiKey(`${API_KEY}umbrella`) }],
            webhooks: [endpoint(UMBRELLA.endpoint)].map((e) => ({
              id: e.id,
              url: e.url,
              secrets: e.secrets,
            })),
          },
        ],
      }),
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = runNode(distFile('main.js'), [], {
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        TENANTS_FILE: tenantsFile,
        BLOOIO_BASE_URL: upstream.baseUrl,
        LOG_LEVEL: 'info',
        RATE_LIMIT_PER_SECOND: '1000',
        RATE_LIMIT_PER_MINUTE: '100000',
        RATE_LIMIT_READS_PER_SECOND: '10000',
        EVENT_RETRY_SCHEDULE: RETRY_SCHEDULE,
        EVENT_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
        EVENT_DELIVERY_CONCURRENCY: '2',
        SHUTDOWN_DELAY_MS: '0',
        SHUTDOWN_GRACE_MS: '1000',
        ...(mode === 'redis' && { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }),
      },
    });
    await until(
      'the gateway to listen',
      async () => {
        if (gateway.child.exitCode !== null) {
          throw new Error(`the gateway exited:\n${gateway.stdout()}\n${gateway.stderr()}`);
        }
        return (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200;
      },
      20_000,
    );
    afterAllCleanup = () => {
      for (const response of hungResponses) response.destroy();
    };
  });

  let afterAllCleanup = () => undefined as void;

  afterAll(async () => {
    afterAllCleanup();
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    for (const { server, sockets } of servers) {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (mode === 'redis') await deleteKeys(prefix);
  });

  describe(`pushing events to tenant endpoints (e2e, ${mode} mode)`, () => {
    let messageId: string;
    let sentEvent: string;

    beforeAll(async () => {
      messageId = await sendMessage();
      sentEvent = await blooioEvent('message.sent', messageId);
    });

    it('delivers a Blooio status event to every endpoint, signed so that standardwebhooks verifies it, webhook-id = event id', async () => {
      for (const id of ['healthy', 'second']) {
        const [delivery] = await until(`${id} to receive`, () => {
          const got = endpoint(id).of(sentEvent);
          return got.length > 0 && got;
        });
        expect(delivery.verified).toEqual({
          ok: true,
          event: expect.objectContaining({ id: sentEvent, type: 'message.sent' }),
        });
        expect(delivery.headers['webhook-id']).toBe(sentEvent);
        expect(delivery.headers['content-type']).toBe('application/json');
        // One v1 signature per configured secret.
        expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
        const event = JSON.parse(delivery.body);
        expect(event).toMatchObject({
          id: sentEvent,
          type: 'message.sent',
          tenantId: 'acme',
          data: { messageId, status: 'sent' },
        });
      }
      // The same bytes to both endpoints: the event as the log holds it.
      expect(endpoint('healthy').of(sentEvent)[0].body).toBe(
        endpoint('second').of(sentEvent)[0].body,
      );
      const logged = await api('GET', `/v1/events/${sentEvent}`);
      const { deliveries: _deliveries, ...event } = logged.body;
      expect(JSON.parse(endpoint('healthy').of(sentEvent)[0].body)).toEqual(event);
      await until('the deliveries to show delivered', async () => {
        const d = await deliveryTo(sentEvent, 'healthy');
        return d?.state === 'delivered' && d;
      });
      expect(await deliveryTo(sentEvent, 'healthy')).toEqual({
        endpointId: 'healthy',
        state: 'delivered',
        attempts: [{ at: expect.any(String), status: 204, durationMs: expect.any(Number) }],
      });
    });

    it('retries an endpoint that 500s, then delivers it, with the same webhook-id and bytes every attempt', async () => {
      const delivery = await until('flaky to be delivered', async () => {
        const d = await deliveryTo(sentEvent, 'flaky');
        return d?.state === 'delivered' && d;
      });
      const attempts = endpoint('flaky').of(sentEvent);
      expect(attempts).toHaveLength(FLAKY_FAILURES + 1);
      expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([sentEvent]));
      expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
      expect(attempts.every((a) => a.verified.ok)).toBe(true);
      expect(delivery.attempts.map((a) => a.status)).toEqual([500, 500, 204]);
      expect(delivery.attempts[0].error).toBe('HTTP 500');
      // The schedule's waits, ±20 %, between attempts.
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(80 - 10);
      expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(160 - 10);
      const flaky = await endpointRow('flaky');
      expect(flaky).toMatchObject({ state: 'enabled', lastSuccessAt: expect.any(String) });
      expect(flaky).not.toHaveProperty('failingSince');
      expect(JSON.stringify(await endpointRows())).not.toContain('whsec_');
    });

    it('marks a delivery failed after the last attempt, every attempt visible, and a redirect is not followed', async () => {
      for (const id of ['dead', 'mover']) {
        const delivery = await until(`${id} to fail`, async () => {
          const d = await deliveryTo(sentEvent, id);
          return d?.state === 'failed' && d;
        });
        expect(delivery.attempts).toHaveLength(4);
        expect(delivery).not.toHaveProperty('nextAttemptAt');
        expect(endpoint(id).of(sentEvent)).toHaveLength(4);
        const error = id === 'dead' ? 'HTTP 500' : 'redirect not followed (302)';
        expect(delivery.attempts.map((a) => a.error)).toEqual([error, error, error, error]);
      }
      // The redirect's target never saw the mover's deliveries: only its own one.
      expect(endpoint('healthy').of(sentEvent)).toHaveLength(1);
      expect(await endpointRow('dead')).toMatchObject({
        state: 'enabled',
        failingSince: expect.any(String),
      });
    });

    it('replays a failed delivery with the same webhook-id', async () => {
      endpoint('dead').behaviour = ok;
      const replay = await api('POST', `/v1/events/${sentEvent}/replay`, { endpointIds: ['dead'] });
      expect(replay).toEqual({ status: 202, body: { eventId: sentEvent, endpointIds: ['dead'] } });
      const delivery = await until('the replay to deliver', async () => {
        const d = await deliveryTo(sentEvent, 'dead');
        return d?.state === 'delivered' && d;
      });
      expect(delivery.attempts).toHaveLength(5);
      const all = endpoint('dead').of(sentEvent);
      expect(all).toHaveLength(5);
      expect(new Set(all.map((a) => a.body)).size).toBe(1);
      expect(all[4].verified.ok).toBe(true);
    });

    it('disables an endpoint that answers 410 and sends it nothing more until it is enabled', async () => {
      await until('gone to be disabled', async () => {
        return (await endpointRow('gone'))?.state === 'disabled';
      });
      expect(endpoint('gone').of(sentEvent)).toHaveLength(1);
      const delivered = await blooioEvent('message.delivered', messageId);
      await until(
        'healthy to get the next event',
        () => endpoint('healthy').of(delivered).length > 0,
      );
      await sleep(600); // past the whole retry schedule
      expect(endpoint('gone').deliveries).toHaveLength(1);
      expect((await deliveryTo(sentEvent, 'gone'))!.state).toBe('pending');
      expect((await deliveryTo(delivered, 'gone'))!).toMatchObject({
        state: 'pending',
        attempts: [],
      });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(
        /bgw_event_queue_jobs\{tenant="acme",endpoint="gone",state="paused"\} 2/,
      );
      expect(metrics).toContain(
        'bgw_event_deliveries_total{tenant="acme",endpoint="gone",outcome="disabled"} 1',
      );
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);

      endpoint('gone').behaviour = ok;
      const enabled = await api('POST', '/v1/webhook-endpoints/gone/enable');
      expect(enabled.status).toBe(200);
      expect(enabled.body).toMatchObject({ id: 'gone', state: 'enabled' });
      for (const id of [sentEvent, delivered]) {
        await until(`gone to get ${id} after enable`, async () => {
          const d = await deliveryTo(id, 'gone');
          return d?.state === 'delivered';
        });
      }
      expect(endpoint('gone').of(sentEvent)).toHaveLength(2);
      expect(endpoint('gone').of(delivered)).toHaveLength(1);
    });

    it('never delays a healthy endpoint behind one that hangs on the same host', async () => {
      const received: Record<string, number> = {};
      for (let i = 0; i < 3; i += 1) {
        const id = await blooioEvent('message.read', await sendMessage());
        const postedAt = Date.now();
        const [delivery] = await until('healthy to receive it', () => {
          const got = endpoint('healthy').of(id);
          return got.length > 0 && got;
        });
        received[id] = delivery.at - postedAt;
      }
      // The hanging endpoint holds its lane (2 at once, 1.5 s each) all along.
      expect(endpoint('hanging').deliveries.length).toBeGreaterThan(0);
      // Waiting behind the hung attempts would take TIMEOUT_MS (1.5 s) or more.
      for (const ms of Object.values(received)) expect(ms).toBeLessThan(TIMEOUT_MS * 0.6);
      const hanging = await until('a hanging attempt to time out', async () => {
        const d = await deliveryTo(sentEvent, 'hanging');
        return d && d.attempts.length > 0 && d;
      });
      expect(hanging.attempts[0]).toMatchObject({ error: `timeout after ${TIMEOUT_MS} ms` });
      expect(hanging.attempts[0].durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    });

    it('sends a signed webhook.test on demand, outside the queue', async () => {
      const answer = await api('POST', '/v1/webhook-endpoints/second/test');
      expect(answer).toEqual({
        status: 200,
        body: { delivered: true, status: 204, durationMs: expect.any(Number) },
      });
      const test = endpoint('second').deliveries.at(-1)!;
      expect(test.verified).toEqual({
        ok: true,
        event: expect.objectContaining({ type: 'webhook.test' }),
      });
      expect(test.headers['webhook-id']).toBe(
        (test.verified as { event: { id: string } }).event.id,
      );
    });

    if (mode === 'redis') {
      it("keeps deliveries, endpoint health and the queue under the gateway's prefix, each key of its own expiring", async () => {
        const redis = new Redis(TEST_REDIS_URL);
        try {
          const keys = await redis.keys(`${prefix}*`);
          expect(keys).toEqual(
            expect.arrayContaining([
              `${prefix}dlv:acme:${sentEvent}`,
              `${prefix}dlv:acme:${sentEvent}:flaky`,
              `${prefix}dlvep:acme:flaky`,
            ]),
          );
          expect(keys.some((key) => key.startsWith(`${prefix}bullmq:acme.healthy:`))).toBe(true);
          for (const key of keys.filter((k) => /:dlv(ep)?:/.test(k))) {
            expect(await redis.pttl(key)).toBeGreaterThan(0);
          }
        } finally {
          redis.disconnect();
        }
      });
    }

    it('counts deliveries and their latency in the metrics', async () => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain(
        'bgw_event_deliveries_total{tenant="acme",endpoint="flaky",outcome="retried"} 2',
      );
      expect(metrics).toContain(
        'bgw_event_deliveries_total{tenant="acme",endpoint="dead",outcome="failed"} 1',
      );
      expect(metrics).toMatch(
        /bgw_event_delivery_seconds_count\{tenant="acme",endpoint="healthy"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /bgw_event_queue_jobs\{tenant="acme",endpoint="hanging",state="active"\} [12]/,
      );
      expect(gateway.stdout()).not.toMatch(/whsec_/);
    });

    it('pushes an event only to the tenant that owns it when two tenants share a Blooio key', async () => {
      const other = endpoint(UMBRELLA.endpoint);
      // acme's message's status, delivered on umbrella's path: not umbrella's (unroutable).
      await postBlooio('umbrella', UMBRELLA.secret, statusBody('message.read', messageId));
      // A contact writing to umbrella's number: umbrella's alone.
      const inbound = `msg_inbound${Date.now().toString(36)}`;
      await postBlooio('umbrella', UMBRELLA.secret, {
        event: 'message.received',
        message_id: inbound,
        external_id: CONTACT,
        status: 'received',
        protocol: 'imessage',
        timestamp: Date.now(),
        internal_id: UMBRELLA.number,
        is_group: false,
        sender: CONTACT,
        text: 'for umbrella',
      });
      const [delivery] = await until('umbrella to receive its inbound message', () => {
        const got = other.deliveries;
        return got.length > 0 && got;
      });
      expect(delivery.verified.ok).toBe(true);
      expect(JSON.parse(delivery.body)).toMatchObject({
        type: 'message.received',
        tenantId: 'umbrella',
        data: { messageId: inbound, text: 'for umbrella' },
      });
      await sleep(300);
      expect(other.deliveries).toHaveLength(1);
      for (const own of [...endpoints.values()].filter((e) => e !== other)) {
        for (const d of own.deliveries) expect(JSON.parse(d.body).tenantId).toBe('acme');
      }
    });

    it('shuts down on SIGTERM within the grace while the hanging endpoint still has deliveries, exit 0', async () => {
      expect(endpoint('hanging').deliveries.length).toBeGreaterThan(0);
      const started = Date.now();
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      // Attempts get min(EVENT_DELIVERY_TIMEOUT_MS, SHUTDOWN_GRACE_MS) = 1 s, then are cut.
      expect(Date.now() - started).toBeLessThan(6_000);
      // Memory mode says what it drops (the hanging lane's waiting jobs); BullMQ keeps them in Redis.
      if (mode === 'memory') {
        expect(gateway.stdout()).toMatch(/in-memory deliveries not finished at shutdown are lost/);
      }
    });
  });
}

describe('event delivery, in memory', () => deliverySuite('memory'));
describeWithRedis('event delivery, on Redis (BullMQ)', () => deliverySuite('redis'));
