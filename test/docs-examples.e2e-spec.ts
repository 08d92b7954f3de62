import type { Response, Test } from 'supertest';
import { EVENT_DELIVERIES } from '../src/events/delivery/event-deliveries.interface';
import { EVENT_EXAMPLES } from '../src/events/dto/gateway-event.examples';
import {
  ENDPOINT_LIST_EXAMPLES,
  REPLAY_REQUEST_EXAMPLES,
  REPLAY_RESULT_EXAMPLES,
  TEST_DELIVERY_EXAMPLES,
} from '../src/events/dto/webhook-endpoint.examples';
import { EVENT_LOG_STORE, type EventLogStore } from '../src/events/event-log-store.interface';
import type { GatewayEvent } from '../src/events/gateway-event';
import { SEND_MESSAGE_EXAMPLES } from '../src/messages/dto/send-message.examples';
import { SIMULATOR_MAGIC_NUMBERS } from '../src/sandbox/blooio-simulator';
import { FakeEventDeliveries } from './support/fake-event-deliveries';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { freePort } from './support/process';
import { KEYS, testTenantsDocument } from './support/tenants.fixture';

jest.setTimeout(60_000);

type Example = { summary: string; value: Record<string, unknown> };
type Responses = Record<
  string,
  { content: Record<string, { examples?: Record<string, Example> }> }
>;
type Document = {
  paths: Record<string, Record<string, { operationId: string; responses: Responses }>>;
};
type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

/** The gateways a case needs: the usual one, one with tight limits, one whose Redis is gone. */
interface Gateways {
  main: Gateway;
  tight: Gateway;
  noRedis: Gateway;
}

const blooioError = (status: number, message: string, code?: string) => ({
  error: code ?? 'error',
  message,
  status,
  ...(code && { code }),
});

const send = (gateway: Gateway, body: object = { recipients: ['+15551234567'], text: 'hi' }) =>
  gateway.http().post('/v1/messages').set(bearer(KEYS.acmeOrders)).send(body);

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How to make the gateway really answer each documented example (by example name). */
const PRODUCERS: Record<string, (g: Gateways) => Promise<Response>> = {
  validation_failed: ({ main }) => send(main, { recipients: ['not a number'], text: 'hi' }),
  unauthenticated: ({ main }) => main.http().post('/v1/messages').send({}),
  forbidden: ({ main }) =>
    main
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeReadOnly))
      .send({ recipients: ['+15551234567'], text: 'hi' }),
  sender_not_allowed: ({ main }) =>
    send(main, { recipients: ['+15551234567'], sender: '+15559990000', text: 'hi' }),
  idempotency_key_in_use: async ({ main }) => {
    main.simulator.enqueueFault({ delayMs: 1_500 });
    const seen = main.simulator.requests.length;
    const body = { recipients: ['+15551234567'], text: 'in flight' };
    const first = send(main, body)
      .set('Idempotency-Key', 'docs-in-use')
      .then((r) => r);
    await until(() => main.simulator.requests.length > seen);
    const second = await send(main, body).set('Idempotency-Key', 'docs-in-use');
    expect((await first).status).toBe(202);
    return second;
  },
  message_not_found: ({ main }) =>
    main.http().get('/v1/messages/msg_unknown0000').set(bearer(KEYS.acmeRotated)),
  endpoint_not_found: ({ main }) =>
    main.http().post('/v1/webhook-endpoints/crm-archive/test').set(bearer(KEYS.acmeRotated)),
  event_not_found: ({ main }) =>
    main
      .http()
      .get(`/v1/events/evt_${'a'.repeat(26)}`)
      .set(bearer(KEYS.acmeRotated)),
  payload_too_large: ({ main }) =>
    send(main, { recipients: ['+15551234567'], text: 'x'.repeat(300_000) }),
  unsupported_media_type: ({ main }) =>
    main
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .set('content-type', 'text/plain')
      .send('hello'),
  idempotency_key_reused: async ({ main }) => {
    await send(main, { recipients: ['+15551234567'], text: 'a' })
      .set('Idempotency-Key', 'docs-reused')
      .expect(202);
    return send(main, { recipients: ['+15551234567'], text: 'b' }).set(
      'Idempotency-Key',
      'docs-reused',
    );
  },
  message_failed: ({ main }) =>
    send(main, { recipients: [SIMULATOR_MAGIC_NUMBERS.sendFailed], text: 'hi' }),
  ...Object.fromEntries(
    (
      [
        ['upstream_rejected_payment_required', 402, 'Plan limit reached', 'payment_required'],
        ['upstream_rejected_inbound_only', 403, 'Inbound-only', 'inbound_only_no_prior_inbound'],
        ['upstream_rejected_not_found', 404, 'Chat not found', 'chat_not_found'],
        ['upstream_rejected_conflict', 409, 'Conflicting send', 'conflict'],
        ['upstream_rejected', 400, 'Attachment first', 'attachment_first_message_not_allowed'],
        ['upstream_rate_limited', 429, 'Outbound limit', 'outbound_limit_reached'],
        ['upstream_error', 500, 'Internal server error', undefined],
        ['upstream_unavailable', 503, 'No active number', undefined],
      ] as const
    ).map(([name, status, message, code]) => [
      name,
      ({ main }: Gateways) => {
        main.simulator.enqueueFault({ status, body: blooioError(status, message, code) });
        return send(main);
      },
    ]),
  ),
  rate_limited: async ({ tight }) => {
    await send(tight).expect(202);
    return send(tight);
  },
  upstream_auth_failed: ({ main }) =>
    main
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.initech))
      .send({ recipients: ['+15551234567'], text: 'hi' }),
  upstream_error_unreachable: ({ main }) => {
    main.simulator.enqueueFault({ reset: true });
    return send(main);
  },
  upstream_unavailable_circuit_open: async ({ tight }) => {
    // tight's breaker opens after one failure; globex has no rate limit of its own.
    tight.simulator.enqueueFault({ status: 500, body: blooioError(500, 'Simulated fault') });
    const globex = () =>
      tight
        .http()
        .post('/v1/messages')
        .set(bearer(KEYS.globex))
        .send({ recipients: ['+15551234567'], text: 'hi' });
    expect((await globex()).status).toBe(502);
    return globex();
  },
  upstream_timeout: ({ main }) => {
    main.simulator.enqueueFault({ hang: true });
    return send(main);
  },
  store_unavailable: ({ noRedis }) => send(noRedis),
  webhook_signature_invalid: ({ main }) =>
    main
      .http()
      .post('/webhooks/blooio/acme')
      .set({ 'content-type': 'application/json', 'x-blooio-signature': 't=1,v1=00' })
      .send('{"event":"message.sent","message_id":"msg_1"}'),
  not_ready: ({ noRedis }) => noRedis.http().get('/health/ready'),
};

/** Examples no request can provoke from outside, with the reason. */
const UNPRODUCIBLE: Record<string, string> = {
  internal_error: 'a fault in the gateway itself; its body is checked by problem.mapper.spec',
};

/** The JSON's skeleton: object keys and value types, arrays by their first item. */
/** Examples whose detail states a limit that this suite sets lower than the default. */
const DETAIL_NAMES_TEST_SETTINGS = new Set(['rate_limited']);

function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (typeof value !== 'object' || value === null) return typeof value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
  );
}

describe('OpenAPI examples are what the gateway answers (e2e)', () => {
  let gateways: Gateways;
  let document: Document;
  /** The main gateway's EVENT_DELIVERIES: acme has the documented endpoints, globex none. */
  const deliveries = new FakeEventDeliveries();
  deliveries.setEndpoints(
    'acme',
    [...ENDPOINT_LIST_EXAMPLES.endpoints.value.data].map((e) => ({ ...e, events: [...e.events] })),
  );

  beforeAll(async () => {
    const deadRedis = await freePort();
    // One after another: each reads process.env while it boots.
    const main = await startGatewayWithSimulator({
      env: { BLOOIO_MAX_RETRIES: '0', BLOOIO_BREAKER_THRESHOLD: '1000', BLOOIO_TIMEOUT_MS: '2000' },
      overrides: [[EVENT_DELIVERIES, deliveries]],
    });
    deliveries.events = main.app.get<EventLogStore>(EVENT_LOG_STORE);
    const tight = await startGatewayWithSimulator({
      tenants: testTenantsDocument({ acmeRateLimit: { perSecond: 1, perMinute: 100 } }),
      env: { BLOOIO_MAX_RETRIES: '0', BLOOIO_BREAKER_THRESHOLD: '1' },
    });
    const noRedis = await startGatewayWithSimulator({
      env: { REDIS_URL: `redis://127.0.0.1:${deadRedis}`, REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
    gateways = { main, tight, noRedis };
    document = (await main.http().get('/docs/openapi.json').expect(200)).body as Document;
  });
  afterAll(async () => {
    await Promise.all(Object.values(gateways ?? {}).map((gateway: Gateway) => gateway.close()));
  });

  const problemExamples = (): [string, string, string, Example][] =>
    Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.values(operations).flatMap((operation) =>
        Object.entries(operation.responses).flatMap(([status, response]) =>
          Object.entries(response.content?.['application/problem+json']?.examples ?? {}).map(
            ([name, example]) => [path, status, name, example] as [string, string, string, Example],
          ),
        ),
      ),
    );

  it('documents every status and code of the send operation with an example of its own', () => {
    const { responses } = document.paths['/v1/messages'].post;
    for (const [status, response] of Object.entries(responses)) {
      if (status.startsWith('2')) continue;
      const examples = Object.values(response.content['application/problem+json'].examples ?? {});
      expect({ status, documented: examples.length > 0 }).toEqual({ status, documented: true });
      for (const { value } of examples) expect(value.status).toBe(Number(status));
    }
    // Blooio's refusals appear under each status they are answered with.
    const codes = (status: string) =>
      Object.values(responses[status].content['application/problem+json'].examples ?? {}).map(
        (example) => example.value.code,
      );
    for (const status of ['402', '403', '404', '409', '422']) {
      expect(codes(status)).toContain('upstream_rejected');
    }
  });

  it('gives `errors` only to validation failures and `upstream` only where Blooio answered', () => {
    for (const [, , name, { value }] of problemExamples()) {
      expect({ name, errors: 'errors' in value }).toEqual({
        name,
        errors: value.code === 'validation_failed',
      });
      if (value.code === 'unauthenticated' || !String(value.code).startsWith('upstream_')) {
        expect({ name, upstream: 'upstream' in value }).toEqual({ name, upstream: false });
      }
    }
  });

  it('matches a real answer for every example: same status, code, title, type and shape', async () => {
    const examples = problemExamples();
    expect(examples.length).toBeGreaterThan(20);
    // A code documented on several routes is one example, rendered once: provoked once.
    const provoked = new Map<string, unknown>();
    for (const [path, status, name, { value }] of examples) {
      if (UNPRODUCIBLE[name]) continue;
      if (provoked.has(name)) {
        expect({ path, name, value }).toEqual({ path, name, value: provoked.get(name) });
        continue;
      }
      provoked.set(name, value);
      const producer = PRODUCERS[name];
      expect({ path, name, producer: typeof producer }).toEqual({
        path,
        name,
        producer: 'function',
      });
      const response = await producer(gateways);
      const body = response.body as Record<string, unknown>;
      expect({ name, status: response.status }).toEqual({ name, status: Number(status) });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      for (const field of ['type', 'title', 'status', 'code'] as const) {
        expect({ name, [field]: body[field] }).toEqual({ name, [field]: value[field] });
      }
      // The detail too, but where it names this suite's tighter settings.
      if (!DETAIL_NAMES_TEST_SETTINGS.has(name)) {
        expect({ name, detail: body.detail }).toEqual({ name, detail: value.detail });
      }
      expect({ name, shape: shapeOf(body) }).toEqual({ name, shape: shapeOf(value) });
    }
  });

  it('matches a real answer for every success example: same status and fields', async () => {
    const { responses } = document.paths['/v1/messages'].post;
    const requests: Record<string, { status: number; body: object; key?: string }> = {
      single: { status: 202, body: SEND_MESSAGE_EXAMPLES.text.value },
      group: { status: 202, body: SEND_MESSAGE_EXAMPLES.group.value },
      textArray: { status: 202, body: SEND_MESSAGE_EXAMPLES.textArray.value },
      replay: { status: 200, body: SEND_MESSAGE_EXAMPLES.text.value, key: 'docs-replay' },
    };
    const { main } = gateways;
    for (const status of ['202', '200']) {
      const examples = responses[status].content['application/json'].examples ?? {};
      expect(Object.keys(examples).length).toBeGreaterThan(0);
      for (const [name, { value }] of Object.entries(examples)) {
        const request = requests[name];
        expect({ name, request: typeof request }).toEqual({ name, request: 'object' });
        if (request.key) await send(main, request.body).set('Idempotency-Key', request.key);
        const response = request.key
          ? await send(main, request.body).set('Idempotency-Key', request.key)
          : await send(main, request.body);
        expect({ name, status: response.status }).toEqual({ name, status: Number(status) });
        expect({ name, shape: shapeOf(response.body) }).toEqual({ name, shape: shapeOf(value) });
      }
    }
  });

  it('matches a real answer for every success example of the event and endpoint routes', async () => {
    const { main } = gateways;
    const store = main.app.get<EventLogStore>(EVENT_LOG_STORE);
    for (const { value } of Object.values(EVENT_EXAMPLES)) {
      const { deliveries: ofExample, ...event } = value;
      await store.insert(event as unknown as GatewayEvent, Date.now());
      deliveries.setDeliveries(event.tenantId, event.id, [...ofExample]);
    }
    const replayed = EVENT_EXAMPLES.delivered.value;
    // The same event for globex, which has no endpoint: its replay queues nothing.
    await store.insert({ ...replayed, tenantId: 'globex' } as unknown as GatewayEvent, Date.now());
    for (const [endpointId, example] of [
      ['crm-inbox', TEST_DELIVERY_EXAMPLES.delivered],
      ['analytics', TEST_DELIVERY_EXAMPLES.refused],
      ['legacy-bridge', TEST_DELIVERY_EXAMPLES.unreachable],
    ] as const) {
      deliveries.setTestResult('acme', endpointId, example.value);
    }
    const acme = (request: Test) => request.set(bearer(KEYS.acmeRotated));
    const http = () => main.http();
    /** Per operation and example, in this order (the list before the enable changes it). */
    type Request = readonly [operationId: string, example: string, send: () => Promise<Response>];
    const requests: Request[] = [
      ...Object.entries(EVENT_EXAMPLES).map(([name, { value }]): Request => [
        'getEvent',
        name,
        () => acme(http().get(`/v1/events/${value.id}`)),
      ]),
      [
        'replayEvent',
        'queued',
        () =>
          acme(http().post(`/v1/events/${replayed.id}/replay`)).send(
            REPLAY_REQUEST_EXAMPLES.some.value,
          ),
      ],
      [
        'replayEvent',
        'none',
        () =>
          http()
            .post(`/v1/events/${replayed.id}/replay`)
            .set(bearer(KEYS.globex))
            .send(REPLAY_REQUEST_EXAMPLES.all.value),
      ],
      ['listWebhookEndpoints', 'endpoints', () => acme(http().get('/v1/webhook-endpoints'))],
      [
        'listWebhookEndpoints',
        'none',
        () => http().get('/v1/webhook-endpoints').set(bearer(KEYS.globex)),
      ],
      [
        'testWebhookEndpoint',
        'delivered',
        () => acme(http().post('/v1/webhook-endpoints/crm-inbox/test')),
      ],
      [
        'testWebhookEndpoint',
        'refused',
        () => acme(http().post('/v1/webhook-endpoints/analytics/test')),
      ],
      [
        'testWebhookEndpoint',
        'unreachable',
        () => acme(http().post('/v1/webhook-endpoints/legacy-bridge/test')),
      ],
      [
        'enableWebhookEndpoint',
        'enabled',
        () => acme(http().post('/v1/webhook-endpoints/legacy-bridge/enable')),
      ],
    ];
    const operations = Object.values(document.paths).flatMap((byMethod) => Object.values(byMethod));
    const documented = operations
      .filter(({ operationId }) => requests.some(([id]) => id === operationId))
      .flatMap(({ operationId, responses }) =>
        Object.entries(responses)
          .filter(([status]) => status.startsWith('2'))
          .flatMap(([status, response]) =>
            Object.entries(response.content['application/json'].examples ?? {}).map(
              ([name, example]) => ({ operationId, status: Number(status), name, example }),
            ),
          ),
      );
    // Every documented success example of these operations has its request, and only those.
    expect(documented.map(({ operationId, name }) => `${operationId}.${name}`).sort()).toEqual(
      requests.map(([operationId, name]) => `${operationId}.${name}`).sort(),
    );
    for (const [operationId, name, request] of requests) {
      const { status, example } = documented.find(
        (entry) => entry.operationId === operationId && entry.name === name,
      )!;
      const response = await request();
      const label = `${operationId}.${name}`;
      expect({ label, status: response.status }).toEqual({ label, status });
      // The fake answers what the examples say: the routes pass it on as it is, field for field.
      expect({ label, body: response.body as unknown }).toEqual({ label, body: example.value });
    }
    expect(REPLAY_RESULT_EXAMPLES.queued.value.eventId).toBe(replayed.id);
  });
});
