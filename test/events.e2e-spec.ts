import { randomInt } from 'node:crypto';
import { EVENT_DELIVERIES } from '../src/events/delivery/event-deliveries.interface';
import { EVENT_LOG_STORE, type EventLogStore } from '../src/events/event-log-store.interface';
import { EVENT_EXAMPLES } from '../src/events/dto/gateway-event.examples';
import type { GatewayEvent } from '../src/events/gateway-event';
import { FakeEventDeliveries } from './support/fake-event-deliveries';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { expectProblem } from './support/problem';
import { KEYS } from './support/tenants.fixture';

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const eventId = () =>
  `evt_${Array.from({ length: 26 }, () => BASE32[randomInt(BASE32.length)]).join('')}`;

function statusEvent(
  tenantId: string,
  messageId: string,
  status: 'sent' | 'delivered' = 'delivered',
): GatewayEvent {
  return {
    id: eventId(),
    type: `message.${status}`,
    timestamp: '2026-12-02T10:00:05.000Z',
    tenantId,
    data: {
      messageId,
      direction: 'outbound',
      status,
      chatId: '+15551234567',
      recipients: ['+15551234567'],
      metadata: { orderId: 'A-17' },
    },
  };
}

describe('GET /v1/events and /v1/events/{eventId} (e2e)', () => {
  let gateway: Gateway;
  let store: EventLogStore;
  const deliveries = new FakeEventDeliveries();
  /** Receipt times, one apart, so that "newest first" has one answer. */
  let clock = Date.now();

  async function insert(event: GatewayEvent): Promise<GatewayEvent> {
    clock += 1;
    expect(await store.insert(event, clock)).toBe(true);
    return event;
  }

  const list = (query: string, key: string = KEYS.acmeRotated) =>
    gateway.http().get(`/v1/events${query}`).set(bearer(key));
  const get = (id: string, key: string = KEYS.acmeRotated) =>
    gateway.http().get(`/v1/events/${id}`).set(bearer(key));

  let acmeEvents: GatewayEvent[];

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({ overrides: [[EVENT_DELIVERIES, deliveries]] });
    store = gateway.app.get<EventLogStore>(EVENT_LOG_STORE);
    acmeEvents = [];
    for (let i = 0; i < 25; i += 1) {
      acmeEvents.push(
        await insert(statusEvent('acme', `msg_${i % 5}`, i % 2 === 0 ? 'sent' : 'delivered')),
      );
    }
    // Another tenant on the same Blooio key has events of its own, for the same message ids.
    await insert(statusEvent('umbrella', 'msg_0'));
  });
  afterAll(() => gateway.close());

  it("lists the tenant's events newest first, 20 by default, then the rest by cursor", async () => {
    const first = await list('').expect(200);
    const newestFirst = [...acmeEvents].reverse();
    expect(first.body.data).toEqual(newestFirst.slice(0, 20));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`?cursor=${first.body.nextCursor as string}`).expect(200);
    expect(second.body.data).toEqual(newestFirst.slice(20));
    expect(second.body).not.toHaveProperty('nextCursor');
  });

  it('filters by type and by messageId, paging with the filters kept', async () => {
    const delivered = await list('?type=message.delivered&limit=5').expect(200);
    const expected = [...acmeEvents]
      .reverse()
      .filter((event) => event.type === 'message.delivered');
    expect(delivered.body.data).toEqual(expected.slice(0, 5));
    const next = await list(
      `?type=message.delivered&limit=5&cursor=${delivered.body.nextCursor as string}`,
    ).expect(200);
    expect(next.body.data).toEqual(expected.slice(5, 10));

    const byMessage = await list('?messageId=msg_3&limit=100').expect(200);
    expect(byMessage.body.data).toEqual(
      [...acmeEvents]
        .reverse()
        .filter((event) => 'messageId' in event.data && event.data.messageId === 'msg_3'),
    );
    expect(byMessage.body).not.toHaveProperty('nextCursor');
  });

  it("never shows another tenant's events, even about the same message ids", async () => {
    const umbrella = await list('?limit=100', KEYS.umbrella).expect(200);
    expect(umbrella.body.data).toHaveLength(1);
    expect(umbrella.body.data[0].tenantId).toBe('umbrella');
    expectProblem(await get(acmeEvents[0].id, KEYS.umbrella), 404, 'event_not_found');
    expect((await list('?limit=100', KEYS.globex).expect(200)).body).toEqual({ data: [] });
  });

  it('gives one event by id with its deliveries, and 404s unknown and foreign ids alike', async () => {
    const event = acmeEvents[3];
    const response = await get(event.id).expect(200);
    expect(response.body).toEqual({ ...event, deliveries: [] });
    const foreign = await get(event.id, KEYS.umbrella);
    const unknown = await get(eventId(), KEYS.umbrella);
    expectProblem(foreign, 404, 'event_not_found');
    expectProblem(unknown, 404, 'event_not_found');
    const { requestId: _a, ...foreignBody } = foreign.body;
    const { requestId: _b, ...unknownBody } = unknown.body;
    expect(foreignBody).toEqual(unknownBody);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=abc', 'limit'],
    ['?limit=1.5', 'limit'],
    ['?limit=1e1', 'limit'],
    ['?limit=5&limit=6', 'limit'],
    ['?type=message.exploded', 'type'],
    ['?type=message.sent&type=message.read', 'type'],
    ['?messageId=a.b', 'messageId'],
    ['?messageId=a&messageId=b', 'messageId'],
    ['?cursor=not-a-cursor', 'cursor'],
    [`?cursor=${'a'.repeat(201)}`, 'cursor'],
    ['?colour=blue', 'colour'],
  ])('refuses %s with a 400 naming %s', async (query, path) => {
    const response = await list(query);
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ path, message: expect.any(String) }]);
  });

  it("refuses another filter's cursor, and another tenant's, naming cursor", async () => {
    const page = await list('?type=message.sent&limit=1').expect(200);
    const cursor = page.body.nextCursor as string;
    const otherFilter = await list(`?type=message.delivered&cursor=${cursor}`);
    expectProblem(otherFilter, 400, 'validation_failed');
    expect(otherFilter.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    const otherTenant = await list(`?type=message.sent&cursor=${cursor}`, KEYS.umbrella);
    expectProblem(otherTenant, 400, 'validation_failed');
  });

  it.each(['evt_short', `evt_${'A'.repeat(26)}`, `evt_${'1'.repeat(26)}`, 'msg_1'])(
    'refuses the event id %s with a 400 naming eventId',
    async (id) => {
      const response = await get(id);
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ path: 'eventId', message: expect.any(String) }]);
    },
  );

  it("answers its documented examples as they are written (Swagger UI's examples are real)", async () => {
    for (const { value } of Object.values(EVENT_EXAMPLES)) {
      const { deliveries: ofExample, ...event } = value;
      await insert(event as unknown as GatewayEvent);
      deliveries.setDeliveries(event.tenantId, event.id, [...ofExample]);
      expect((await get(event.id).expect(200)).body).toEqual(value);
    }
  });

  it('needs the events:read scope', async () => {
    expectProblem(await list('', KEYS.acmeOrders), 403, 'forbidden');
    expectProblem(await list('', KEYS.acmeReadOnly), 403, 'forbidden');
    expectProblem(await get(acmeEvents[0].id, KEYS.acmeReadOnly), 403, 'forbidden');
    expectProblem(await gateway.http().get('/v1/events'), 401, 'unauthenticated');
  });
});
