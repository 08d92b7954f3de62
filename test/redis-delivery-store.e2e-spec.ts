import Redis from 'ioredis';
import { RedisDeliveryStore } from '../src/events/delivery/redis-delivery.store';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import { deliveryStoreContract } from './support/delivery-store.contract';
import { eventId } from './support/event-log-store.contract';
import { describeWithRedis, TEST_REDIS_URL, useRedisReplicas } from './support/redis';

describeWithRedis('RedisDeliveryStore on a real Redis (e2e)', () => {
  const replicas = useRedisReplicas();
  const replica = async (ttlMs = 86_400_000, options: { unreachable?: boolean } = {}) =>
    new RedisDeliveryStore(await replicas.connect(options), ttlMs);

  describe('the store contract', () => {
    let store: RedisDeliveryStore;
    beforeEach(async () => {
      store = await replica();
    });
    deliveryStoreContract(() => store);
  });

  it('counts the attempts two replicas record at once, and numbers their replays apart', async () => {
    const [a, b] = [await replica(), await replica()];
    const id = eventId('two-replicas');
    await a.open('acme', id, ['crm']);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? a : b).recordAttempt(
          { tenantId: 'acme', eventId: id, endpointId: 'crm', replay: 0 },
          { at: 'x', durationMs: i },
          {
            state: 'pending',
          },
        ),
      ),
    );
    const replays = await Promise.all([a, b, a, b].map((s) => s.nextReplay('acme', id, 'crm')));
    expect(replays.sort()).toEqual([1, 2, 3, 4]);
    expect((await b.deliveriesOf('acme', id))[0].attempts).toHaveLength(30);
  });

  it('keeps its keys under the prefix, each expiring with the retention', async () => {
    const store = await replica(60_000);
    const id = eventId('keys');
    await store.open('acme', id, ['crm']);
    await store.recordAttempt(
      { tenantId: 'acme', eventId: id, endpointId: 'crm', replay: 0 },
      { at: 'x', durationMs: 1 },
      { state: 'pending' },
    );
    await store.failed('acme', 'crm', 'x');
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const prefix = replicas.prefix();
      const keys = (await raw.keys(`${prefix}*`)).sort();
      expect(keys).toEqual([
        `${prefix}dlv:acme:${id}`,
        `${prefix}dlv:acme:${id}:crm`,
        `${prefix}dlvep:acme:crm`,
      ]);
      for (const key of keys) {
        const ttl = await raw.pttl(key);
        expect(ttl).toBeGreaterThan(50_000);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
    } finally {
      raw.disconnect();
    }
  });

  it('keeps a disabled endpoint disabled past the retention, until it is enabled', async () => {
    const store = await replica(300);
    await store.failed('acme', 'crm', 'a');
    await store.disable('acme', 'crm', 'b');
    await store.failed('acme', 'crm', 'c');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(store.endpointState('acme', 'crm')).resolves.toMatchObject({ disabledAt: 'b' });
    await store.enable('acme', 'crm');
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const ttl = await raw.pttl(`${replicas.prefix()}dlvep:acme:crm`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
    } finally {
      raw.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(store.endpointState('acme', 'crm')).resolves.toEqual({});
  });

  it('rejects with StoreUnavailableError when Redis does not answer', async () => {
    const store = await replica(60_000, { unreachable: true });
    await expect(store.open('acme', eventId('down'), ['crm'])).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(store.deliveriesOf('acme', eventId('down'))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(store.endpointState('acme', 'crm')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
