import { createHmac } from 'node:crypto';
import type { EventLogStore } from '../src/events/event-log-store.interface';
import { EVENT_LOG_STORE } from '../src/events/event-log-store.interface';
import type { GatewayEvent } from '../src/events/gateway-event';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../src/message-records/message-record-store.interface';
import { hashApiKey } from '../src/common/api-key';
import { TenantRegistry } from '../src/tenants/tenant-registry';
import { startGateway, type TestGateway } from './support/gateway';
import { outboundRecord } from './support/message-record.fixture';
import { expectProblem } from './support/problem';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import { BLOOIO_KEYS } from './support/tenants.fixture';

/** Secrets in the form Blooio gives them; the test signs with them as Blooio does. */
const SECRETS = {
  acme: 'whsec_acmeFirstSecret00000000000000000',
  acmeNext: 'whsec_acmeRotatedSecret000000000000000',
  globex: 'whsec_globexSharesAcmesKey000000000000',
  solo: 'whsec_soloHasAKeyOfItsOwn0000000000000',
} as const;
const ACME_NUMBER = '+15550001111';
const GLOBEX_NUMBER = '+15557770000';
const CONTACT = '+15551234567';

/**
 * acme and globex share one Blooio key (so they see each other's events at Blooio and must be
 * told apart); solo has a key of its own; nosecret has configured no webhook.
 */
function webhookTenants() {
  const apiKeys = (tenant: string) => [
    { id: `${tenant}-app`, sha256: hashApiKey(`bgw_${tenant}WebhookSuiteKey000000000000000`) },
  ];
  return {
    tenants: [
      {
        id: 'acme',
        blooio: {
          apiKey: BLOOIO_KEYS.acme,
          senders: [ACME_NUMBER],
          webhook: { signingSecrets: [SECRETS.acme, SECRETS.acmeNext] },
        },
        apiKeys: apiKeys('acme'),
      },
      {
        id: 'globex',
        blooio: {
          apiKey: BLOOIO_KEYS.acme,
          senders: [GLOBEX_NUMBER],
          webhook: { signingSecrets: [SECRETS.globex] },
        },
        apiKeys: apiKeys('globex'),
      },
      {
        id: 'solo',
        blooio: { apiKey: BLOOIO_KEYS.globex, webhook: { signingSecrets: [SECRETS.solo] } },
        apiKeys: apiKeys('solo'),
      },
      { id: 'nosecret', blooio: { apiKey: BLOOIO_KEYS.broken }, apiKeys: apiKeys('nosecret') },
    ],
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sign = (secret: string, body: string, t = nowSeconds()) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

/** Posts `body` to a tenant's receiver as Blooio does, signed with `secret`. */
const deliverSigned = (gateway: TestGateway, tenant: string, body: string, secret: string) =>
  gateway
    .http()
    .post(`/webhooks/blooio/${tenant}`)
    .set({ 'content-type': 'application/json', 'x-blooio-signature': sign(secret, body) })
    .send(body);

interface Post {
  tenant: string;
  body: string;
  signature?: string;
  headers?: Record<string, string>;
}

function statusEvent(event: string, messageId: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    event,
    message_id: messageId,
    external_id: CONTACT,
    status: event.split('.')[1],
    protocol: 'imessage',
    timestamp: Date.now(),
    internal_id: ACME_NUMBER,
    is_group: false,
    ...extra,
  });
}

function inboundEvent(messageId: string, to: string) {
  return JSON.stringify({
    event: 'message.received',
    message_id: messageId,
    external_id: CONTACT,
    status: 'received',
    protocol: 'imessage',
    timestamp: Date.now(),
    internal_id: to,
    is_group: false,
    sender: CONTACT,
    text: 'Yes, see you then',
  });
}

function receiverSuite(gatewayFor: () => TestGateway) {
  const post = ({ tenant, body, signature, headers }: Post) => {
    const request = gatewayFor()
      .http()
      .post(`/webhooks/blooio/${tenant}`)
      .set('content-type', 'application/json');
    if (signature !== undefined) void request.set('x-blooio-signature', signature);
    if (headers) void request.set(headers);
    return request.send(body);
  };
  const records = () => gatewayFor().app.get<MessageRecordStore>(MESSAGE_RECORD_STORE);
  const eventLog = () => gatewayFor().app.get<EventLogStore>(EVENT_LOG_STORE);
  const keyIdOf = (tenant: string) =>
    gatewayFor().app.get(TenantRegistry).find(tenant)!.blooio.keyId;
  const eventsOf = async (tenant: string): Promise<GatewayEvent[]> =>
    (await eventLog().list(tenant, { limit: 100 })).data;
  const metrics = async () => (await gatewayFor().http().get('/metrics')).text;

  let counter = 0;
  const newId = () => `msg_e2e${Date.now().toString(36)}${(counter += 1)}`;
  async function acmeMessage(): Promise<string> {
    const messageId = newId();
    await records().save(
      outboundRecord({ tenantId: 'acme', messageId, blooioKeyId: keyIdOf('acme') }),
    );
    return messageId;
  }

  it('records a signed status event: 204, the record moves on, one event in the log', async () => {
    const messageId = await acmeMessage();
    const body = statusEvent('message.delivered', messageId);
    const answer = await post({ tenant: 'acme', body, signature: sign(SECRETS.acme, body) });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');

    const record = await records().find('acme', messageId);
    expect(record).toMatchObject({ status: 'delivered', deliveredAt: expect.any(String) });
    const events = (await eventsOf('acme')).filter(
      (e) => 'messageId' in e.data && e.data.messageId === messageId,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'message.delivered',
      tenantId: 'acme',
      data: { messageId, status: 'delivered', metadata: { orderId: 'A-17' } },
    });
    expect(await metrics()).toMatch(
      /bgw_webhooks_received_total\{tenant="acme",event="message.delivered",outcome="accepted"\} [1-9]/,
    );
  });

  it('accepts a signature made with any configured secret (rotation)', async () => {
    const messageId = await acmeMessage();
    const body = statusEvent('message.sent', messageId);
    expect(
      (await post({ tenant: 'acme', body, signature: sign(SECRETS.acmeNext, body) })).status,
    ).toBe(204);
    expect((await records().find('acme', messageId))?.status).toBe('sent');
  });

  it('answers every kind of unauthenticated delivery with the identical 401', async () => {
    const messageId = await acmeMessage();
    const body = statusEvent('message.delivered', messageId);
    const good = sign(SECRETS.acme, body);
    const expectedHex = good.split('v1=')[1];
    const forged: [string, Post][] = [
      ['unknown tenant', { tenant: 'nobody', body, signature: good }],
      ['tenant without a secret', { tenant: 'nosecret', body, signature: good }],
      ['no header', { tenant: 'acme', body }],
      ['empty header', { tenant: 'acme', body, signature: '' }],
      ['malformed header', { tenant: 'acme', body, signature: 'sha256=abc' }],
      ['wrong signature', { tenant: 'acme', body, signature: sign('whsec_guessed', body) }],
      ['another tenant’s secret', { tenant: 'acme', body, signature: sign(SECRETS.globex, body) }],
      [
        'stale t',
        { tenant: 'acme', body, signature: sign(SECRETS.acme, body, nowSeconds() - 400) },
      ],
      [
        'future t',
        { tenant: 'acme', body, signature: sign(SECRETS.acme, body, nowSeconds() + 400) },
      ],
      [
        'body changed after signing',
        { tenant: 'acme', body: body.replace('delivered', 'read'), signature: good },
      ],
      ['unsigned malformed JSON', { tenant: 'acme', body: '{"event":', signature: 't=1,v1=00' }],
    ];
    const answers = [];
    for (const [why, delivery] of forged) {
      const answer = await post(delivery);
      expectProblem(answer, 401, 'webhook_signature_invalid');
      expect(answer.text).not.toContain(expectedHex);
      // Byte for byte, but for the request id (in the body and its header) and the date.
      const { requestId } = answer.body as { requestId: string };
      const { date: _date, 'x-request-id': _id, ...headers } = answer.headers;
      answers.push([why, answer.text.replace(requestId, ''), headers] as const);
    }
    expect(answers[0][2]['www-authenticate']).toBeUndefined();
    for (const [why, text, headers] of answers) {
      expect({ why, text, headers }).toEqual({ why, text: answers[0][1], headers: answers[0][2] });
    }
    // Nothing happened to the message.
    expect((await records().find('acme', messageId))?.status).toBe('queued');
    expect(await metrics()).toMatch(
      /bgw_webhooks_received_total\{tenant="unknown",event="unknown",outcome="rejected"\} [1-9]/,
    );
  });

  it('answers a signed body that is not a Blooio event with 400 naming the field', async () => {
    const notEvent = JSON.stringify({ event: 'message.sent' });
    const refused = await post({
      tenant: 'acme',
      body: notEvent,
      signature: sign(SECRETS.acme, notEvent),
    });
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'message_id' })]),
    );
    const broken = '{"event": "message.sent",';
    const malformed = await post({
      tenant: 'acme',
      body: broken,
      signature: sign(SECRETS.acme, broken),
    });
    expectProblem(malformed, 400, 'validation_failed');
    expect(malformed.body.errors[0].path).toBe('body');
  });

  it('records the same event once however often it comes (Blooio retries, X-Blooio-Replay)', async () => {
    const messageId = await acmeMessage();
    const body = statusEvent('message.read', messageId);
    const first = await post({ tenant: 'acme', body, signature: sign(SECRETS.acme, body) });
    const retried = await post({
      tenant: 'acme',
      body,
      signature: sign(SECRETS.acme, body, nowSeconds() - 5),
    });
    const replayed = await post({
      tenant: 'acme',
      body,
      signature: sign(SECRETS.acme, body),
      headers: { 'x-blooio-replay': 'true' },
    });
    expect([first.status, retried.status, replayed.status]).toEqual([204, 204, 204]);
    const events = (await eventsOf('acme')).filter(
      (e) => 'messageId' in e.data && e.data.messageId === messageId,
    );
    expect(events.map((e) => e.type)).toEqual(['message.read']);
    expect(await metrics()).toMatch(
      /bgw_webhooks_received_total\{tenant="acme",event="message.read",outcome="duplicate"\} [2-9]/,
    );
  });

  it('never moves a status backwards when events arrive out of order', async () => {
    const messageId = await acmeMessage();
    for (const event of ['message.read', 'message.delivered', 'message.sent']) {
      const body = statusEvent(event, messageId);
      expect(
        (await post({ tenant: 'acme', body, signature: sign(SECRETS.acme, body) })).status,
      ).toBe(204);
    }
    const record = await records().find('acme', messageId);
    expect(record).toMatchObject({
      status: 'read',
      sentAt: expect.any(String),
      deliveredAt: expect.any(String),
    });
    const types = (await eventsOf('acme'))
      .filter((e) => 'messageId' in e.data && e.data.messageId === messageId)
      .map((e) => e.type)
      .sort();
    expect(types).toEqual(['message.delivered', 'message.read', 'message.sent']);
  });

  describe('two tenants sharing one Blooio key', () => {
    it('gives a status event only to the tenant whose record holds the message', async () => {
      const messageId = await acmeMessage();
      const body = statusEvent('message.delivered', messageId);
      // Blooio posts every event of the key to both tenants' receivers.
      const toGlobex = await post({
        tenant: 'globex',
        body,
        signature: sign(SECRETS.globex, body),
      });
      expect(toGlobex.status).toBe(204);
      const toAcme = await post({ tenant: 'acme', body, signature: sign(SECRETS.acme, body) });
      expect(toAcme.status).toBe(204);

      const mine = (e: GatewayEvent) => 'messageId' in e.data && e.data.messageId === messageId;
      expect((await eventsOf('globex')).filter(mine)).toEqual([]);
      expect((await eventsOf('acme')).filter(mine)).toHaveLength(1);
      expect(await records().find('globex', messageId)).toBeUndefined();
      expect(await metrics()).toMatch(
        /bgw_webhooks_received_total\{tenant="globex",event="message.delivered",outcome="unroutable"\} [1-9]/,
      );
    });

    it('gives an inbound message only to the owner of the number that received it', async () => {
      const toAcmeNumber = newId();
      const body = inboundEvent(toAcmeNumber, ACME_NUMBER);
      expect(
        (await post({ tenant: 'globex', body, signature: sign(SECRETS.globex, body) })).status,
      ).toBe(204);
      expect(
        (await post({ tenant: 'acme', body, signature: sign(SECRETS.acme, body) })).status,
      ).toBe(204);
      const toGlobexNumber = newId();
      const second = inboundEvent(toGlobexNumber, GLOBEX_NUMBER);
      expect(
        (await post({ tenant: 'acme', body: second, signature: sign(SECRETS.acme, second) }))
          .status,
      ).toBe(204);
      expect(
        (await post({ tenant: 'globex', body: second, signature: sign(SECRETS.globex, second) }))
          .status,
      ).toBe(204);

      const ids = async (tenant: string) =>
        (await eventsOf(tenant))
          .filter((e) => e.type === 'message.received')
          .map((e) => ('messageId' in e.data ? e.data.messageId : undefined));
      expect(await ids('acme')).toContain(toAcmeNumber);
      expect(await ids('acme')).not.toContain(toGlobexNumber);
      expect(await ids('globex')).toContain(toGlobexNumber);
      expect(await ids('globex')).not.toContain(toAcmeNumber);
      expect(await records().find('acme', toAcmeNumber)).toMatchObject({
        direction: 'inbound',
        status: 'received',
        sender: CONTACT,
      });
      expect(await records().find('globex', toAcmeNumber)).toBeUndefined();
      expect(await metrics()).toMatch(
        /bgw_webhooks_received_total\{tenant="acme",event="message.received",outcome="unroutable"\} [1-9]/,
      );
    });
  });

  it('answers 204 at once for an event whose record is not written yet, and records it when it is', async () => {
    const messageId = newId();
    const body = statusEvent('message.sent', messageId);
    const answer = await post({ tenant: 'solo', body, signature: sign(SECRETS.solo, body) });
    expect(answer.status).toBe(204);
    expect(await eventsOf('solo')).not.toContainEqual(
      expect.objectContaining({
        type: 'message.sent',
        data: expect.objectContaining({ messageId }),
      }),
    );
    await records().save(
      outboundRecord({ tenantId: 'solo', messageId, blooioKeyId: keyIdOf('solo') }),
    );
    // The first re-check comes 2 s after the first receipt.
    await waitFor(async () => (await records().find('solo', messageId))?.status === 'sent', 15_000);
    const events = (await eventsOf('solo')).filter(
      (e) => 'messageId' in e.data && e.data.messageId === messageId,
    );
    expect(events).toHaveLength(1);
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("Blooio's webhooks received (e2e, memory stores)", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ tenants: webhookTenants() });
  });
  afterAll(() => gateway.close());

  receiverSuite(() => gateway);

  it('logs each delivery with its outcome, never its signature or a secret', async () => {
    const body = inboundEvent('msg_logged1', ACME_NUMBER);
    const signature = sign(SECRETS.acme, body);
    await gateway
      .http()
      .post('/webhooks/blooio/acme')
      .set({ 'content-type': 'application/json', 'x-blooio-signature': signature })
      .send(body)
      .expect(204);
    await gateway
      .http()
      .post('/webhooks/blooio/acme')
      .set({ 'content-type': 'application/json', 'x-blooio-signature': sign('whsec_nope', body) })
      .send(body)
      .expect(401);
    const lines = gateway.logs
      .records()
      .filter((line) => line.route === '/webhooks/blooio/:tenantId');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          tenant: 'acme',
          status: 204,
          webhookOutcome: 'accepted',
          webhookEvent: 'message.received',
        }),
        expect.objectContaining({
          tenant: 'acme',
          status: 401,
          webhookOutcome: 'rejected',
          code: 'webhook_signature_invalid',
        }),
      ]),
    );
    for (const secret of [...Object.values(SECRETS), signature, signature.split('v1=')[1]]) {
      expect(gateway.logs.text).not.toContain(secret);
    }
  });

  it('never parses a forged body: a large, deep or malformed one gets the 401, counted rejected', async () => {
    const rejected = async () =>
      Number(
        /bgw_webhooks_received_total\{tenant="acme",event="unknown",outcome="rejected"\} (\d+)/.exec(
          (await gateway.http().get('/metrics')).text,
        )?.[1] ?? 0,
      );
    const before = await rejected();
    const bodies = [
      // Just under the body limit, with far more values than any event (100,000).
      JSON.stringify({ event: 'message.sent', items: new Array(100_000).fill(0) }),
      '['.repeat(200_000),
      '{"event": "message.sent", "message_id": ',
    ];
    const parse = jest.spyOn(JSON, 'parse');
    try {
      for (const body of bodies) {
        const forged = sign('whsec_forgedByAnAttacker0000000000000', body);
        const answer = await gateway
          .http()
          .post('/webhooks/blooio/acme')
          .set({ 'content-type': 'application/json', 'x-blooio-signature': forged })
          .send(body);
        expectProblem(answer, 401, 'webhook_signature_invalid');
      }
      expect(parse.mock.calls.filter(([text]) => bodies.includes(text))).toEqual([]);
    } finally {
      parse.mockRestore();
    }
    expect(await rejected()).toBe(before + bodies.length);
  });

  it('applies the body limit before anything else', async () => {
    const small = await startGateway({
      tenants: webhookTenants(),
      env: { BODY_LIMIT_BYTES: '1024' },
    });
    try {
      const body = JSON.stringify({
        event: 'message.received',
        message_id: 'msg_big',
        text: 'x'.repeat(4_000),
      });
      const answer = await deliverSigned(small, 'acme', body, SECRETS.acme);
      expectProblem(answer, 413, 'payload_too_large');
    } finally {
      await small.close();
    }
  });
});

describeWithRedis("Blooio's webhooks received (e2e, two replicas on Redis)", () => {
  const prefix = uniqueKeyPrefix();
  let first: TestGateway;
  let second: TestGateway;
  const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
  beforeAll(async () => {
    first = await startGateway({ tenants: webhookTenants(), env });
    second = await startGateway({ tenants: webhookTenants(), env });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await deleteKeys(prefix);
  });

  receiverSuite(() => first);

  it('records one event when both replicas receive the same delivery at once', async () => {
    const messageId = `msg_both${Date.now().toString(36)}`;
    const keyId = first.app.get(TenantRegistry).find('acme')!.blooio.keyId;
    await first.app
      .get<MessageRecordStore>(MESSAGE_RECORD_STORE)
      .save(outboundRecord({ tenantId: 'acme', messageId, blooioKeyId: keyId }));
    const body = statusEvent('message.delivered', messageId);
    const deliver = (gateway: TestGateway) => deliverSigned(gateway, 'acme', body, SECRETS.acme);
    const answers = await Promise.all([
      deliver(first),
      deliver(second),
      deliver(first),
      deliver(second),
    ]);
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204]);
    const page = await second.app
      .get<EventLogStore>(EVENT_LOG_STORE)
      .list('acme', { limit: 100, messageId });
    expect(page.data.map((e) => e.type)).toEqual(['message.delivered']);
    const accepted = async (gateway: TestGateway) =>
      Number(
        /bgw_webhooks_received_total\{tenant="acme",event="message.delivered",outcome="accepted"\} (\d+)/.exec(
          (await gateway.http().get('/metrics')).text,
        )?.[1] ?? 0,
      );
    // Each replica counts what it recorded; the earlier tests ran on `first` only.
    expect(await accepted(second)).toBeLessThanOrEqual(1);
  });

  it('answers 503 store_unavailable while Redis is down, so that Blooio retries', async () => {
    const redisUrl = new URL(TEST_REDIS_URL);
    const proxy = await TcpProxy.start({
      host: redisUrl.hostname,
      port: Number(redisUrl.port || 6379),
    });
    const cut = await startGateway({
      tenants: webhookTenants(),
      env: {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        REDIS_KEY_PREFIX: prefix,
        REDIS_COMMAND_TIMEOUT_MS: '300',
      },
    });
    try {
      await proxy.cut();
      const body = inboundEvent(`msg_down${Date.now().toString(36)}`, ACME_NUMBER);
      const answer = await deliverSigned(cut, 'acme', body, SECRETS.acme);
      expectProblem(answer, 503, 'store_unavailable');
      expect(answer.headers['retry-after']).toBe('1');
      // Back up, Blooio's retry of the same delivery is recorded.
      await proxy.restore();
      await waitFor(async () => (await cut.http().get('/health/ready')).status === 200, 8_000);
      const retried = await deliverSigned(cut, 'acme', body, SECRETS.acme);
      expect(retried.status).toBe(204);
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});
