import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import type { Response } from 'supertest';
import type { EventDelivery } from '../src/events/delivery/event-deliveries.interface';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { expectProblem } from './support/problem';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import {
  ACME_SENDERS,
  acmeTestEndpoints,
  ENDPOINT_SECRETS,
  KEYS,
  secretsNeverShown,
  testTenantsDocument,
  WEBHOOK_SECRETS,
} from './support/tenants.fixture';

/**
 * The event and endpoint routes against the real delivery engine (memory mode), black box: a
 * Blooio webhook in, a local endpoint that verifies every delivery with the `standardwebhooks`
 * package, and only HTTP calls to the gateway. A replay reaches the endpoint with the same
 * webhook-id and body; test sends a signed webhook.test now; a 410 disables until enable.
 */

jest.setTimeout(60_000);

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

interface Delivery {
  id: string;
  type: string;
  body: string;
  verified: boolean;
}

/** The tenant's app: verifies each POST as a subscriber would, answers `status`. */
class Endpoint {
  readonly deliveries: Delivery[] = [];
  status = 204;
  private readonly verifier = new Webhook(ENDPOINT_SECRETS.acmeCrm);
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        this.verifier.verify(body, request.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const { type } = JSON.parse(body) as { type: string };
      this.deliveries.push({ id: String(request.headers['webhook-id']), type, body, verified });
      response.writeHead(this.status).end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/crm`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  of(id: string): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.id === id);
  }
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The whole suite once per mode: memory, and Redis (the stores of attempts and endpoint states). */
function routesWithTheEngine(redisPrefix?: string) {
  let gateway: Gateway;
  let endpoint: Endpoint;
  const answers: string[] = [];
  let received = 0;

  const call = async (pending: PromiseLike<Response>): Promise<Response> => {
    const response = await pending;
    answers.push(JSON.stringify(response.headers), response.text);
    return response;
  };
  const acme = {
    get: (path: string) => call(gateway.http().get(path).set(bearer(KEYS.acmeRotated))),
    post: (path: string, body?: object) => {
      const request = gateway.http().post(path).set(bearer(KEYS.acmeRotated));
      return call(body === undefined ? request : request.send(body));
    },
  };

  /** A contact writes to acme's number: Blooio's signed webhook; answers the gateway event's id. */
  async function contactWrites(text: string): Promise<string> {
    received += 1;
    const body = JSON.stringify({
      event: 'message.received',
      message_id: `msg_push${received}_${Date.now()}`,
      external_id: '+15551234567',
      internal_id: ACME_SENDERS[0],
      is_group: false,
      text,
    });
    const t = nowSeconds();
    const signature = createHmac('sha256', WEBHOOK_SECRETS.acme)
      .update(`${t}.${body}`)
      .digest('hex');
    await gateway
      .http()
      .post('/webhooks/blooio/acme')
      .set({ 'content-type': 'application/json', 'x-blooio-signature': `t=${t},v1=${signature}` })
      .send(body)
      .expect(204);
    const page = await acme.get('/v1/events?type=message.received&limit=1');
    expect(page.status).toBe(200);
    const [event] = page.body.data as { id: string; data: { text?: string } }[];
    expect(event.data.text).toBe(text);
    return event.id;
  }

  beforeAll(async () => {
    endpoint = new Endpoint();
    const url = await endpoint.listen();
    gateway = await startGatewayWithSimulator({
      tenants: testTenantsDocument({ acmeWebhooks: acmeTestEndpoints(url) }),
      env: {
        EVENT_RETRY_SCHEDULE: '200ms,200ms',
        EVENT_DELIVERY_TIMEOUT_MS: '2000',
        ...(redisPrefix && { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix }),
      },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await endpoint?.close();
    if (redisPrefix) await deleteKeys(redisPrefix);
  });

  it('replays an event to the endpoint with the same webhook-id and the same signed body', async () => {
    const eventId = await contactWrites('first, then again');
    await until(() => endpoint.of(eventId).length === 1, 'the first delivery');
    const [first] = endpoint.of(eventId);
    expect(first).toMatchObject({ type: 'message.received', verified: true });

    // The attempt is recorded once the endpoint's answer is read.
    const deliveriesOf = async (): Promise<EventDelivery[]> =>
      ((await acme.get(`/v1/events/${eventId}`)).body as { deliveries: EventDelivery[] })
        .deliveries;
    await until(async () => (await deliveriesOf())[0]?.state === 'delivered', 'delivered');
    expect(await deliveriesOf()).toEqual([
      {
        endpointId: 'crm-inbox',
        state: 'delivered',
        attempts: [{ at: expect.any(String), status: 204, durationMs: expect.any(Number) }],
      },
    ]);

    const replay = await acme.post(`/v1/events/${eventId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ eventId, endpointIds: ['crm-inbox'] });
    await until(() => endpoint.of(eventId).length === 2, 'the replay');
    const [, again] = endpoint.of(eventId);
    expect(again).toEqual({ ...first, id: eventId });
    expect(again.body).toBe(first.body);

    const named = await acme.post(`/v1/events/${eventId}/replay`, { endpointIds: ['crm-inbox'] });
    expect(named.status).toBe(202);
    await until(() => endpoint.of(eventId).length === 3, 'the named replay');
    expect(endpoint.of(eventId).every(({ verified }) => verified)).toBe(true);

    await until(async () => (await deliveriesOf())[0].attempts.length === 3, 'three attempts');
    expect(await deliveriesOf()).toEqual([
      expect.objectContaining({ endpointId: 'crm-inbox', state: 'delivered' }),
    ]);
    if (redisPrefix) {
      // The attempts are Redis's, not this process's: the store keys exist under the prefix.
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis
        .keys(`${redisPrefix}dlv:acme:${eventId}*`)
        .finally(() => redis.disconnect());
      expect(keys.length).toBeGreaterThan(0);
    }
  });

  it("answers another tenant's event and an unknown endpoint with 404, sending nothing", async () => {
    const eventId = await contactWrites('not yours');
    await until(() => endpoint.of(eventId).length === 1, 'the delivery');
    const foreign = await call(
      gateway.http().post(`/v1/events/${eventId}/replay`).set(bearer(KEYS.umbrella)),
    );
    expectProblem(foreign, 404, 'event_not_found');
    expectProblem(
      await acme.post(`/v1/events/${eventId}/replay`, { endpointIds: ['crm-archive'] }),
      404,
      'endpoint_not_found',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.of(eventId)).toHaveLength(1);
  });

  it('sends a signed webhook.test now and answers what the endpoint did', async () => {
    const count = endpoint.deliveries.length;
    const ok = await acme.post('/v1/webhook-endpoints/crm-inbox/test');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ delivered: true, status: 204, durationMs: expect.any(Number) });
    const test = endpoint.deliveries[count];
    expect(test).toMatchObject({ type: 'webhook.test', verified: true });

    endpoint.status = 500;
    const refused = await acme.post('/v1/webhook-endpoints/crm-inbox/test');
    endpoint.status = 204;
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ delivered: false, status: 500 });
  });

  it('is disabled by a 410 until enabled, and then gets what waited', async () => {
    endpoint.status = 410;
    const eventId = await contactWrites('gone for now');
    await until(() => endpoint.of(eventId).length === 1, 'the 410 attempt');
    const list = () => acme.get('/v1/webhook-endpoints');
    await until(async () => (await list()).body.data[0].state === 'disabled', 'disabled');
    expect((await list()).body.data).toEqual([
      expect.objectContaining({
        id: 'crm-inbox',
        state: 'disabled',
        failingSince: expect.any(String),
      }),
    ]);

    endpoint.status = 204;
    const waiting = await contactWrites('while disabled');
    // A disabled endpoint can still be tested (to check it before enabling it); that enables nothing.
    const test = await acme.post('/v1/webhook-endpoints/crm-inbox/test');
    expect(test.body).toMatchObject({ delivered: true, status: 204 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(endpoint.of(waiting)).toHaveLength(0);
    expect((await list()).body.data[0].state).toBe('disabled');

    const enabled = await acme.post('/v1/webhook-endpoints/crm-inbox/enable');
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ id: 'crm-inbox', state: 'enabled' });
    await until(() => endpoint.of(waiting).length === 1, 'the delivery that waited');
    expect(endpoint.of(waiting)[0].verified).toBe(true);
  });

  it('never showed a secret in any answer', () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) {
      for (const secret of secretsNeverShown()) expect(answer).not.toContain(secret);
    }
  });
}

describe('event and endpoint routes with the delivery engine, in memory (e2e, black box)', () => {
  routesWithTheEngine();
});

describeWithRedis(
  'event and endpoint routes with the delivery engine, on Redis (e2e, black box)',
  () => {
    routesWithTheEngine(uniqueKeyPrefix());
  },
);
