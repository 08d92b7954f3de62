import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { Response } from 'supertest';
import { hashApiKey } from '../src/common/api-key';
import type { EndpointStatus } from '../src/events/delivery/event-deliveries.interface';
import { EVENT_DELIVERIES } from '../src/events/delivery/event-deliveries.interface';
import { EVENT_LOG_STORE, type EventLogStore } from '../src/events/event-log-store.interface';
import { GATEWAY_EVENT_TYPES, type GatewayEvent } from '../src/events/gateway-event';
import { FAKE_ENDPOINT_SECRET, FakeEventDeliveries } from './support/fake-event-deliveries';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { expectProblem } from './support/problem';
import { KEYS, secretsNeverShown, testTenantsDocument } from './support/tenants.fixture';

/**
 * The event and endpoint routes of DESIGN §11 (replay, the endpoint list, test, enable, and the
 * deliveries of GET /v1/events/{id}) through the real app, with a fake EVENT_DELIVERIES that keeps
 * the contract: scopes, budgets, ids, bodies, tenants, and never a secret in an answer.
 */

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

/** Keys holding one events scope only (acme's other keys hold every scope, or none of these). */
const EVENTS_READER = 'bgw_acmeEventsReaderKey000000000000000000000';
const EVENTS_MANAGER = 'bgw_acmeEventsManagerKey00000000000000000000';

function tenantsDocument(acmeRateLimit?: { perSecond: number; perMinute: number }) {
  const document = testTenantsDocument(acmeRateLimit && { acmeRateLimit });
  document.tenants[0].apiKeys.push(
    { id: 'events-reader', sha256: hashApiKey(EVENTS_READER), scopes: ['events:read'] },
    { id: 'events-manager', sha256: hashApiKey(EVENTS_MANAGER), scopes: ['events:manage'] },
  );
  return document;
}

const ACME_ENDPOINTS: EndpointStatus[] = [
  {
    id: 'crm-inbox',
    url: 'https://crm.acme.internal/hooks/imessage',
    events: ['message.received', 'message.*'],
    state: 'enabled',
    lastSuccessAt: '2026-12-02T10:00:05.120Z',
  },
  {
    id: 'replies-only',
    url: 'https://replies.acme.internal/in',
    events: ['message.received'],
    state: 'enabled',
    failingSince: '2026-12-02T09:13:01.002Z',
  },
  {
    id: 'legacy-bridge',
    url: 'https://legacy.acme.internal/webhook',
    events: [...GATEWAY_EVENT_TYPES],
    state: 'disabled',
    failingSince: '2026-12-01T22:40:00.000Z',
  },
];

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const newEventId = () =>
  `evt_${Array.from({ length: 26 }, () => BASE32[randomInt(BASE32.length)]).join('')}`;

const deliveredEvent = (tenantId: string): GatewayEvent => ({
  id: newEventId(),
  type: 'message.delivered',
  timestamp: '2026-12-02T10:00:05.000Z',
  tenantId,
  data: { messageId: 'msg_routes1', direction: 'outbound', status: 'delivered' },
});

/** One HTTP/1.1 request written as curl writes it: exactly these headers, and the body if any. */
async function rawPost(port: number, path: string, headers: string[], body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(
      [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers, '', body].join(
        '\r\n',
      ),
    );
  });
}

describe('event and webhook endpoint routes (e2e)', () => {
  let gateway: Gateway;
  let deliveries: FakeEventDeliveries;
  let store: EventLogStore;
  let port: number;
  /** Every answer of the suite, checked at the end for secrets. */
  const answers: string[] = [];
  let acmeEvent: GatewayEvent;
  let globexEvent: GatewayEvent;

  const remember = (response: Response): Response => {
    answers.push(JSON.stringify(response.headers), response.text);
    return response;
  };
  const get = async (path: string, key: string = KEYS.acmeRotated) =>
    remember(await gateway.http().get(path).set(bearer(key)));
  const post = async (path: string, key: string = KEYS.acmeRotated, body?: object | string) => {
    const request = gateway.http().post(path).set(bearer(key));
    return remember(await (body === undefined ? request : request.send(body)));
  };
  const replay = (eventId: string, body?: object | string, key?: string) =>
    post(`/v1/events/${eventId}/replay`, key, body);

  beforeAll(async () => {
    deliveries = new FakeEventDeliveries();
    deliveries.setEndpoints('acme', ACME_ENDPOINTS);
    deliveries.setEndpoints('globex', [
      {
        id: 'globex-app',
        url: 'https://app.globex.test/hook',
        events: ['message.*'],
        state: 'enabled',
      },
    ]);
    gateway = await startGatewayWithSimulator({
      tenants: tenantsDocument(),
      overrides: [[EVENT_DELIVERIES, deliveries]],
    });
    store = gateway.app.get<EventLogStore>(EVENT_LOG_STORE);
    deliveries.events = store;
    acmeEvent = deliveredEvent('acme');
    globexEvent = deliveredEvent('globex');
    await store.insert(acmeEvent, Date.now());
    await store.insert(globexEvent, Date.now());
    await gateway.app.listen(0, '127.0.0.1');
    port = (gateway.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => gateway.close());

  describe('GET /v1/webhook-endpoints', () => {
    it("lists the tenant's endpoints with their state, never a secret", async () => {
      const response = await get('/v1/webhook-endpoints', EVENTS_READER);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        // URLs as configured: one with credentials cannot be (common/webhook-url.ts refuses it).
        data: ACME_ENDPOINTS,
      });
      expect(response.text).not.toContain('secrets');
      expect(deliveries.callsOf('endpoints').at(-1)).toEqual(['acme']);
    });

    it('answers each tenant its own endpoints only, and none for a tenant that has none', async () => {
      const globex = await get('/v1/webhook-endpoints', KEYS.globex);
      expect(globex.body).toEqual({
        data: [
          {
            id: 'globex-app',
            url: 'https://app.globex.test/hook',
            events: ['message.*'],
            state: 'enabled',
          },
        ],
      });
      expect((await get('/v1/webhook-endpoints', KEYS.umbrella)).body).toEqual({ data: [] });
    });
  });

  describe('POST /v1/webhook-endpoints/{id}/test', () => {
    it('answers 200 with what the endpoint did, delivered or not', async () => {
      const delivered = await post('/v1/webhook-endpoints/crm-inbox/test', EVENTS_MANAGER);
      expect(delivered.status).toBe(200);
      expect(delivered.body).toEqual({ delivered: true, status: 204, durationMs: 12 });
      expect(deliveries.callsOf('test').at(-1)).toEqual(['acme', 'crm-inbox']);

      deliveries.setTestResult('acme', 'replies-only', {
        delivered: false,
        error: 'timeout',
        durationMs: 15_000,
      });
      const failed = await post('/v1/webhook-endpoints/replies-only/test');
      expect(failed.status).toBe(200);
      expect(failed.body).toEqual({ delivered: false, error: 'timeout', durationMs: 15_000 });
    });

    it("answers 404 endpoint_not_found for an unknown id and another tenant's alike", async () => {
      const unknown = await post('/v1/webhook-endpoints/crm-archive/test');
      const foreign = await post('/v1/webhook-endpoints/globex-app/test');
      expectProblem(unknown, 404, 'endpoint_not_found');
      expectProblem(foreign, 404, 'endpoint_not_found');
      expect(unknown.body.detail).toBe('No webhook endpoint crm-archive for this tenant');
      expect(foreign.body.detail).toBe('No webhook endpoint globex-app for this tenant');
      // globex's endpoint was asked for as acme's: the fake never tested it.
      expect(deliveries.callsOf('test')).toContainEqual(['acme', 'globex-app']);
      expect(deliveries.callsOf('test')).not.toContainEqual(['globex', 'globex-app']);
    });
  });

  describe('POST /v1/webhook-endpoints/{id}/enable', () => {
    it('enables a disabled endpoint and answers it, and enabling again changes nothing', async () => {
      const first = await post('/v1/webhook-endpoints/legacy-bridge/enable', EVENTS_MANAGER);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ ...ACME_ENDPOINTS[2], state: 'enabled' });
      const again = await post('/v1/webhook-endpoints/legacy-bridge/enable');
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const shown = await get('/v1/webhook-endpoints');
      expect(shown.body.data[2]).toEqual(first.body);
    });

    it("answers 404 endpoint_not_found for an unknown id and another tenant's alike", async () => {
      expectProblem(await post('/v1/webhook-endpoints/nope/enable'), 404, 'endpoint_not_found');
      const foreign = await post('/v1/webhook-endpoints/crm-inbox/enable', KEYS.globex);
      expectProblem(foreign, 404, 'endpoint_not_found');
      expect(deliveries.callsOf('enable')).toContainEqual(['globex', 'crm-inbox']);
    });
  });

  describe.each(['test', 'enable'])('POST /v1/webhook-endpoints/{id}/%s', (action) => {
    it.each(['Crm-inbox', '-crm', 'crm_inbox', 'crm.inbox', 'a'.repeat(64), '%20', 'crm%2Finbox'])(
      'refuses the id %s with a 400 naming id',
      async (id) => {
        const response = await post(`/v1/webhook-endpoints/${id}/${action}`);
        expectProblem(response, 400, 'validation_failed');
        expect(response.body.errors).toEqual([{ path: 'id', message: expect.any(String) }]);
      },
    );

    it('takes no body: none, an empty JSON object, or an empty body declared as JSON', async () => {
      expect(
        (await post(`/v1/webhook-endpoints/crm-inbox/${action}`, KEYS.acmeRotated, {})).status,
      ).toBe(200);
      const declared = await rawPost(port, `/v1/webhook-endpoints/crm-inbox/${action}`, [
        `Authorization: Bearer ${KEYS.acmeRotated}`,
        'Content-Type: application/json',
        'Content-Length: 0',
      ]);
      expect(declared).toMatch(/^HTTP\/1\.1 200 /);
      const raw = await rawPost(port, `/v1/webhook-endpoints/crm-inbox/${action}`, [
        `Authorization: Bearer ${KEYS.acmeRotated}`,
      ]);
      expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('refuses a body with a field (naming it), and one that is not JSON', async () => {
      const field = await post(`/v1/webhook-endpoints/crm-inbox/${action}`, KEYS.acmeRotated, {
        eventType: 'message.sent',
      });
      expectProblem(field, 400, 'validation_failed');
      expect(field.body.errors).toEqual([{ path: 'eventType', message: expect.any(String) }]);
      const text = remember(
        await gateway
          .http()
          .post(`/v1/webhook-endpoints/crm-inbox/${action}`)
          .set(bearer(KEYS.acmeRotated))
          .set('content-type', 'text/plain')
          .send('hello'),
      );
      expectProblem(text, 415, 'unsupported_media_type');
    });
  });

  describe('POST /v1/events/{eventId}/replay', () => {
    it('replays to every subscribed endpoint with no body at all (curl -X POST)', async () => {
      const raw = await rawPost(port, `/v1/events/${acmeEvent.id}/replay`, [
        `Authorization: Bearer ${KEYS.acmeRotated}`,
      ]);
      expect(raw).toMatch(/^HTTP\/1\.1 202 /);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as object;
      // crm-inbox takes message.*, legacy-bridge every type; replies-only only message.received.
      expect(body).toEqual({ eventId: acmeEvent.id, endpointIds: ['crm-inbox', 'legacy-bridge'] });
      expect(deliveries.callsOf('replay').at(-1)).toEqual(['acme', acmeEvent.id, undefined]);
    });

    it('replays with an empty JSON object, and with an empty body declared as JSON', async () => {
      const empty = await replay(acmeEvent.id, {}, EVENTS_MANAGER);
      expect(empty.status).toBe(202);
      expect(empty.body).toEqual({
        eventId: acmeEvent.id,
        endpointIds: ['crm-inbox', 'legacy-bridge'],
      });
      const declared = await rawPost(port, `/v1/events/${acmeEvent.id}/replay`, [
        `Authorization: Bearer ${KEYS.acmeRotated}`,
        'Content-Type: application/json',
        'Content-Length: 0',
      ]);
      expect(declared).toMatch(/^HTTP\/1\.1 202 /);
      expect(deliveries.callsOf('replay').at(-1)).toEqual(['acme', acmeEvent.id, undefined]);
    });

    it('replays only to the endpoints named, subscribed or not', async () => {
      const response = await replay(acmeEvent.id, { endpointIds: ['replies-only', 'crm-inbox'] });
      expect(response.status).toBe(202);
      expect(response.body).toEqual({
        eventId: acmeEvent.id,
        endpointIds: ['replies-only', 'crm-inbox'],
      });
      expect(deliveries.callsOf('replay').at(-1)).toEqual([
        'acme',
        acmeEvent.id,
        ['replies-only', 'crm-inbox'],
      ]);
    });

    it('refuses a body that is not JSON with a 415, and one that is not an object with a 400', async () => {
      const text = await gateway
        .http()
        .post(`/v1/events/${acmeEvent.id}/replay`)
        .set(bearer(KEYS.acmeRotated))
        .set('content-type', 'text/plain')
        .send('crm-inbox');
      expectProblem(text, 415, 'unsupported_media_type');
      const form = await rawPost(
        port,
        `/v1/events/${acmeEvent.id}/replay`,
        [
          `Authorization: Bearer ${KEYS.acmeRotated}`,
          'Content-Type: application/x-www-form-urlencoded',
          'Content-Length: 21',
        ],
        'endpointIds=crm-inbox',
      );
      expect(form).toMatch(/^HTTP\/1\.1 415 /);
      const large = await replay(acmeEvent.id, {
        endpointIds: ['crm-inbox'],
        pad: 'x'.repeat(300_000),
      });
      expectProblem(large, 413, 'payload_too_large');
      for (const body of ['[]', '"crm-inbox"', '{"endpointIds": [']) {
        const response = await gateway
          .http()
          .post(`/v1/events/${acmeEvent.id}/replay`)
          .set(bearer(KEYS.acmeRotated))
          .set('content-type', 'application/json')
          .send(body);
        expectProblem(response, 400, 'validation_failed');
        expect(response.body.errors).toEqual([{ path: 'body', message: expect.any(String) }]);
      }
    });

    it.each([
      ['an empty list', 'endpointIds', { endpointIds: [] }],
      ['21 ids', 'endpointIds', { endpointIds: Array.from({ length: 21 }, (_, i) => `e${i}`) }],
      ['a string', 'endpointIds', { endpointIds: 'crm-inbox' }],
      ['an object', 'endpointIds', { endpointIds: { 0: 'crm-inbox' } }],
      ['a bad id', 'endpointIds.1', { endpointIds: ['crm-inbox', 'CRM'] }],
      ['a number', 'endpointIds.0', { endpointIds: [7] }],
      ['an id of 64 characters', 'endpointIds.0', { endpointIds: ['a'.repeat(64)] }],
      [
        'a duplicate',
        'endpointIds.2',
        { endpointIds: ['crm-inbox', 'legacy-bridge', 'crm-inbox'] },
      ],
      ['an unknown field', 'force', { endpointIds: ['crm-inbox'], force: true }],
      ['a prototype key', 'toString', { toString: 'x' }],
    ])('refuses %s with a 400 naming %s', async (_name, path, body) => {
      const before = deliveries.callsOf('replay').length;
      const response = await replay(acmeEvent.id, body);
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ path, message: expect.any(String) }]);
      expect(deliveries.callsOf('replay')).toHaveLength(before);
    });

    it('says what is wrong with an id, and with a duplicate', async () => {
      const bad = await replay(acmeEvent.id, { endpointIds: ['CRM'] });
      expect(bad.body.errors[0].message).toBe(
        'must be 1 to 63 of a-z 0-9 -, starting with a letter or digit',
      );
      const twice = await replay(acmeEvent.id, { endpointIds: ['crm-inbox', 'crm-inbox'] });
      expect(twice.body.errors).toEqual([
        { path: 'endpointIds.1', message: 'repeats endpointIds.0' },
      ]);
    });

    it('takes null as no endpointIds', async () => {
      const response = await replay(acmeEvent.id, { endpointIds: null });
      expect(response.status).toBe(202);
      expect(deliveries.callsOf('replay').at(-1)).toEqual(['acme', acmeEvent.id, undefined]);
    });

    it("answers 404 event_not_found for an unknown event and another tenant's alike", async () => {
      const unknown = await replay(newEventId());
      const foreign = await replay(globexEvent.id);
      expectProblem(unknown, 404, 'event_not_found');
      expectProblem(foreign, 404, 'event_not_found');
      const { requestId: _a, ...unknownBody } = unknown.body;
      const { requestId: _b, ...foreignBody } = foreign.body;
      expect(foreignBody).toEqual(unknownBody);
      // Also when it names endpoints: the event is looked up first.
      expectProblem(
        await replay(globexEvent.id, { endpointIds: ['nope'] }),
        404,
        'event_not_found',
      );
    });

    it("answers 404 endpoint_not_found naming an id that is not the tenant's, without reading every endpoint's state", async () => {
      const before = deliveries.callsOf('endpoints').length;
      const foreign = await replay(acmeEvent.id, { endpointIds: ['crm-inbox', 'globex-app'] });
      expectProblem(foreign, 404, 'endpoint_not_found');
      expect(foreign.body.detail).toBe('No webhook endpoint globex-app for this tenant');
      const unknown = await replay(globexEvent.id, { endpointIds: ['crm-inbox'] }, KEYS.globex);
      expectProblem(unknown, 404, 'endpoint_not_found');
      // One check, the deliveries' own (which queues nothing then): no store read of endpoints.
      expect(deliveries.callsOf('endpoints')).toHaveLength(before);
    });

    it.each(['evt_short', `evt_${'A'.repeat(26)}`, 'msg_1'])(
      'refuses the event id %s with a 400 naming eventId',
      async (id) => {
        const response = await replay(id);
        expectProblem(response, 400, 'validation_failed');
        expect(response.body.errors).toEqual([{ path: 'eventId', message: expect.any(String) }]);
      },
    );
  });

  describe('GET /v1/events/{eventId}', () => {
    it('answers the deliveries EVENT_DELIVERIES knows, for this tenant only', async () => {
      const attempts = [{ at: '2026-12-02T10:00:05.080Z', status: 200, durationMs: 42 }];
      deliveries.setDeliveries('acme', acmeEvent.id, [
        { endpointId: 'crm-inbox', state: 'delivered', attempts },
      ]);
      const response = await get(`/v1/events/${acmeEvent.id}`, EVENTS_READER);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        ...acmeEvent,
        deliveries: [{ endpointId: 'crm-inbox', state: 'delivered', attempts }],
      });
      expect(deliveries.callsOf('deliveriesOf').at(-1)).toEqual(['acme', acmeEvent.id]);
      const before = deliveries.callsOf('deliveriesOf').length;
      expectProblem(await get(`/v1/events/${acmeEvent.id}`, KEYS.umbrella), 404, 'event_not_found');
      // Another tenant's event is refused before its deliveries are asked for.
      expect(deliveries.callsOf('deliveriesOf')).toHaveLength(before);
    });
  });

  describe('scopes', () => {
    const manage = () => [
      () => replay(acmeEvent.id, {}, EVENTS_READER),
      () => post('/v1/webhook-endpoints/crm-inbox/test', EVENTS_READER),
      () => post('/v1/webhook-endpoints/crm-inbox/enable', EVENTS_READER),
    ];

    it('needs events:manage to replay, test and enable (events:read is not enough)', async () => {
      const before = deliveries.calls.length;
      for (const call of manage()) {
        const response = await call();
        expectProblem(response, 403, 'forbidden');
        expect(response.body.detail).toBe('This API key lacks the scope events:manage');
      }
      expect(deliveries.calls).toHaveLength(before);
    });

    it('needs events:read to list endpoints and read an event (events:manage is not enough)', async () => {
      expectProblem(await get('/v1/webhook-endpoints', EVENTS_MANAGER), 403, 'forbidden');
      expectProblem(await get(`/v1/events/${acmeEvent.id}`, EVENTS_MANAGER), 403, 'forbidden');
      expectProblem(await get('/v1/webhook-endpoints', KEYS.acmeOrders), 403, 'forbidden');
    });

    it('refuses a caller without a key before reading its body', async () => {
      for (const path of [
        `/v1/events/${acmeEvent.id}/replay`,
        '/v1/webhook-endpoints/crm-inbox/test',
        '/v1/webhook-endpoints/crm-inbox/enable',
      ]) {
        const response = remember(
          await gateway.http().post(path).set('content-type', 'text/plain').send('x'),
        );
        expectProblem(response, 401, 'unauthenticated');
      }
      expectProblem(
        remember(await gateway.http().get('/v1/webhook-endpoints')),
        401,
        'unauthenticated',
      );
    });
  });

  it('never showed a secret in any answer', () => {
    expect(answers.length).toBeGreaterThan(50);
    for (const answer of answers) {
      for (const secret of [FAKE_ENDPOINT_SECRET, ...secretsNeverShown()]) {
        expect(answer).not.toContain(secret);
      }
    }
  });
});

describe('event and webhook endpoint routes: rate-limit budgets (e2e)', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    const deliveries = new FakeEventDeliveries();
    deliveries.setEndpoints('acme', ACME_ENDPOINTS);
    gateway = await startGatewayWithSimulator({
      tenants: tenantsDocument({ perSecond: 3, perMinute: 100 }),
      env: { RATE_LIMIT_READS_PER_SECOND: '3' },
      overrides: [[EVENT_DELIVERIES, deliveries]],
    });
  });
  afterAll(() => gateway.close());

  it("spends the tenant's main limit on test, enable and replay, and the read limit on the list", async () => {
    const manage = [
      '/v1/webhook-endpoints/crm-inbox/test',
      '/v1/webhook-endpoints/crm-inbox/enable',
      `/v1/events/evt_${'a'.repeat(26)}/replay`,
      '/v1/webhook-endpoints/crm-inbox/test',
    ];
    const statuses: number[] = [];
    for (const path of manage) {
      const response = await gateway.http().post(path).set(bearer(KEYS.acmeRotated));
      statuses.push(response.status);
      if (response.status === 429) expectProblem(response, 429, 'rate_limited');
    }
    // The replay of an unknown event is answered 404, and still spent.
    expect(statuses).toEqual([200, 200, 404, 429]);
    // Sending shares that budget; reading has its own, untouched.
    const send = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .send({ recipients: ['+15551234567'], text: 'hi' });
    expect(send.status).toBe(429);
    const reads: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await gateway
        .http()
        .get('/v1/webhook-endpoints')
        .set(bearer(KEYS.acmeRotated));
      reads.push(response.status);
    }
    expect(reads).toEqual([200, 200, 200, 429]);
  });
});
