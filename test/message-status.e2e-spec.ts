import { setTimeout as sleep } from 'node:timers/promises';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../src/message-records/message-record-store.interface';
import { BlooioSimulator, SIMULATOR_MAGIC_NUMBERS } from '../src/sandbox/blooio-simulator';
import {
  bearer,
  startGateway,
  startGatewayWithSimulator,
  type TestGateway,
} from './support/gateway';
import { expectProblem } from './support/problem';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { ACME_SENDERS, BLOOIO_KEYS, KEYS, testTenantsDocument } from './support/tenants.fixture';

jest.setTimeout(30_000);

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

const sendVia = (
  gateway: TestGateway,
  body: object = { recipients: ['+15551234567'], text: 'hi' },
) => gateway.http().post('/v1/messages').set(bearer(KEYS.acmeOrders)).send(body).expect(202);

const statusVia = (gateway: TestGateway, id: string, key: string = KEYS.acmeRotated) =>
  gateway.http().get(`/v1/messages/${id}`).set(bearer(key));

/** Status calls the simulator received. */
const statusCalls = (simulator: BlooioSimulator) =>
  simulator.requests.filter((request) => request.rawUrl.endsWith('/status'));

describe('GET /v1/messages/{messageId} (e2e)', () => {
  let gateway: Gateway;
  let store: MessageRecordStore;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      simulator: { statusTimeline: { sentAfterMs: 150, deliveredAfterMs: 300 } },
    });
    store = gateway.app.get<MessageRecordStore>(MESSAGE_RECORD_STORE);
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  it("moves forward through Blooio's status route, then stops asking once final", async () => {
    const sent = await sendVia(gateway, {
      recipients: ['+15551234567'],
      text: 'hi',
      metadata: { orderId: 'A-17' },
    });
    const id = sent.body.messageId as string;

    const first = await statusVia(gateway, id).expect(200);
    expect(first.body).toMatchObject({
      messageId: id,
      direction: 'outbound',
      status: 'queued',
      chatId: '+15551234567',
      recipients: ['+15551234567'],
      sender: ACME_SENDERS[0],
      metadata: { orderId: 'A-17' },
    });
    expect(first.body).not.toHaveProperty('stale');
    expect(first.body).not.toHaveProperty('blooioKeyId');
    expect(first.body).not.toHaveProperty('tenantId');
    expect(statusCalls(gateway.simulator)).toHaveLength(1);
    // Asked with the tenant's own key, for the chat it was sent to.
    const [call] = statusCalls(gateway.simulator);
    expect(call.headers.authorization).toBe(`Bearer ${BLOOIO_KEYS.acme}`);
    expect(call.rawUrl).toBe(`/v2/api/chats/%2B15551234567/messages/${id}/status`);

    await sleep(350);
    const delivered = await statusVia(gateway, id).expect(200);
    expect(delivered.body).toMatchObject({
      status: 'delivered',
      protocol: 'imessage',
      sentAt: expect.stringMatching(/Z$/),
      deliveredAt: expect.stringMatching(/Z$/),
      metadata: { orderId: 'A-17' },
    });
    expect(delivered.body.updatedAt > first.body.updatedAt).toBe(true);
    // Saved: the record holds it, and a final status is answered without asking Blooio again.
    expect(await store.find('acme', id)).toMatchObject({ status: 'delivered' });
    const again = await statusVia(gateway, id).expect(200);
    expect(again.body).toEqual(delivered.body);
    expect(statusCalls(gateway.simulator)).toHaveLength(2);
  });

  it('never moves backwards when Blooio answers an older status', async () => {
    const id = (await sendVia(gateway)).body.messageId as string;
    await store.update('acme', id, {
      status: 'sent',
      protocol: 'imessage',
      at: new Date().toISOString(),
    });
    gateway.simulator.enqueueFault({
      status: 200,
      body: { status: 'queued', protocol: 'pending' },
    });
    const response = await statusVia(gateway, id).expect(200);
    expect(response.body).toMatchObject({ status: 'sent', protocol: 'imessage' });
    expect(response.body).not.toHaveProperty('stale');
  });

  it('answers a message Blooio accepted as failed: final, Blooio not asked again', async () => {
    const sent = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .send({ recipients: [SIMULATOR_MAGIC_NUMBERS.sendFailed], text: 'x' });
    expectProblem(sent, 422, 'message_failed');
    const response = await statusVia(gateway, sent.body.messageId as string).expect(200);
    expect(response.body).toMatchObject({ status: 'failed', failedAt: expect.any(String) });
    // Recorded as failed at the send: final, so Blooio is not asked.
    expect(statusCalls(gateway.simulator)).toHaveLength(0);
  });

  it.each([
    ['a 503', { status: 503 }],
    ['a reset connection, every attempt', { reset: true }],
    ['an unreadable answer', { status: 200, raw: 'not json' }],
  ])('answers what it knows with stale: true when Blooio gives %s', async (_what, fault) => {
    const id = (await sendVia(gateway)).body.messageId as string;
    gateway.simulator.enqueueFault(fault, fault, fault);
    const response = await statusVia(gateway, id).expect(200);
    expect(response.body).toMatchObject({ messageId: id, status: 'queued', stale: true });
  });

  it.each([
    ['65 characters', 'm'.repeat(65)],
    ['a dot', 'msg.1'],
    ['an encoded slash', 'msg%2F1'],
    ['a space', 'msg%201'],
  ])('refuses an id with %s: 400 naming messageId, Blooio not asked', async (_what, id) => {
    const response = await statusVia(gateway, id);
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ path: 'messageId', message: expect.any(String) }]);
    expect(gateway.simulator.requests).toHaveLength(0);
  });

  it("answers another tenant's message exactly like an unknown one, even on the same Blooio key", async () => {
    const id = (await sendVia(gateway)).body.messageId as string;
    const foreign = await statusVia(gateway, id, KEYS.umbrella);
    const unknown = await statusVia(gateway, 'msg_doesNotExist0000', KEYS.umbrella);
    expectProblem(foreign, 404, 'message_not_found');
    expectProblem(unknown, 404, 'message_not_found');
    const { requestId: _a, ...foreignBody } = foreign.body;
    const { requestId: _b, ...unknownBody } = unknown.body;
    expect(foreignBody).toEqual(unknownBody);
    expectProblem(await statusVia(gateway, id, KEYS.globex), 404, 'message_not_found');
    expect(statusCalls(gateway.simulator)).toHaveLength(0);
  });

  it('needs the messages:read scope', async () => {
    const id = (await sendVia(gateway)).body.messageId as string;
    expectProblem(await statusVia(gateway, id, KEYS.acmeOrders), 403, 'forbidden');
    expect((await statusVia(gateway, id, KEYS.acmeReadOnly)).status).toBe(200);
    expectProblem(await gateway.http().get(`/v1/messages/${id}`), 401, 'unauthenticated');
  });
});

describe('GET /v1/messages/{messageId} when Blooio is gone (e2e)', () => {
  it('answers stale within the deadline, and the circuit keeps answering stale fast', async () => {
    const gateway = await startGatewayWithSimulator({
      env: { BLOOIO_TIMEOUT_MS: '1000', BLOOIO_MAX_RETRIES: '0' },
    });
    try {
      const id = (await sendVia(gateway)).body.messageId as string;
      await gateway.simulator.close();
      for (let i = 0; i < 8; i += 1) {
        const response = await statusVia(gateway, id).expect(200);
        expect(response.body).toMatchObject({ messageId: id, status: 'queued', stale: true });
      }
      const metrics = await gateway.http().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/bgw_upstream_circuit_rejections_total\{tenant="acme"\} [1-9]/);
    } finally {
      await gateway.app.close();
    }
  });
});

describe('the read rate limit (e2e)', () => {
  it('is its own: reads run out without touching sends, and sends without touching reads', async () => {
    const gateway = await startGatewayWithSimulator({
      tenants: testTenantsDocument({ acmeRateLimit: { perSecond: 1, perMinute: 1 } }),
      env: { RATE_LIMIT_READS_PER_SECOND: '2' },
    });
    try {
      const id = (await sendVia(gateway)).body.messageId as string;
      // The sending budget is spent (1 a minute)…
      expectProblem(
        await gateway
          .http()
          .post('/v1/messages')
          .set(bearer(KEYS.acmeOrders))
          .send({ recipients: ['+15551234567'], text: 'again' }),
        429,
        'rate_limited',
      );
      // …and reads still pass, until their own limit (2 a second) is reached: of ten reads in a
      // row, however slow the machine, more than two land in one second.
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) statuses.push((await statusVia(gateway, id)).status);
      expect(statuses[0]).toBe(200);
      expect(statuses).toContain(429);
      expect(statuses.filter((status) => status === 200).length).toBeLessThan(10);
    } finally {
      await gateway.close();
    }
  });
});

describeWithRedis('message records in Redis (e2e)', () => {
  let simulator: BlooioSimulator;
  let prefix: string;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    prefix = uniqueKeyPrefix();
    simulator = await BlooioSimulator.start({
      apiKeys: [BLOOIO_KEYS.acme, BLOOIO_KEYS.globex],
      statusTimeline: { sentAfterMs: 50, deliveredAfterMs: 100 },
    });
    for (let i = 0; i < 2; i += 1) {
      gateways.push(
        await startGateway({
          tenants: testTenantsDocument(),
          env: {
            BLOOIO_BASE_URL: simulator.baseUrl,
            REDIS_URL: TEST_REDIS_URL,
            REDIS_KEY_PREFIX: prefix,
          },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await simulator.close();
    await deleteKeys(prefix);
  });

  it('serves a record written by one replica from another, forward only, per tenant', async () => {
    const [a, b] = gateways;
    const sent = await sendVia(a, {
      recipients: ['+15551234567'],
      text: ['one', 'two'],
      metadata: { batch: '7' },
    });
    const ids = sent.body.messageIds as string[];
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      expect((await statusVia(b, id).expect(200)).body).toMatchObject({
        messageId: id,
        metadata: { batch: '7' },
      });
      expectProblem(await statusVia(b, id, KEYS.umbrella), 404, 'message_not_found');
    }
    await sleep(150);
    expect((await statusVia(b, ids[0]).expect(200)).body.status).toBe('delivered');
    // Saved in Redis: the other replica sees it delivered without asking Blooio.
    const calls = statusCalls(simulator).length;
    expect((await statusVia(a, ids[0]).expect(200)).body.status).toBe('delivered');
    expect(statusCalls(simulator)).toHaveLength(calls);
  });
});
