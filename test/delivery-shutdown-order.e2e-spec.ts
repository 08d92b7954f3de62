import { EVENT_DELIVERY_QUEUE } from '../src/events/delivery/event-delivery-queue.interface';
import type { EventDeliveryQueue } from '../src/events/delivery/event-delivery-queue.interface';
import { RedisConnection } from '../src/redis/redis.connection';
import { startGateway } from './support/gateway';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { acmeTestEndpoints, testTenantsDocument } from './support/tenants.fixture';

/**
 * The shutdown order the delivery queue relies on (Nest's own hooks, the app as main.ts builds
 * it): the HTTP listener closes first (no webhook can reach a closed queue and be answered 503),
 * then the queue is closed, once, then the global Redis connection.
 */
describeWithRedis('delivery queue shutdown order (e2e)', () => {
  const prefix = uniqueKeyPrefix();
  afterAll(() => deleteKeys(prefix));

  it('closes the listener, then the queue (one owner, one close), then Redis', async () => {
    const gateway = await startGateway({
      tenants: testTenantsDocument({ acmeWebhooks: acmeTestEndpoints() }),
      env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, SHUTDOWN_GRACE_MS: '500' },
      logLevel: 'warn',
    });
    const order: string[] = [];
    gateway.app.getHttpServer().on('close', () => order.push('listener'));
    const queue = gateway.app.get<EventDeliveryQueue>(EVENT_DELIVERY_QUEUE);
    const close = queue.close.bind(queue);
    const queueClose = jest.spyOn(queue, 'close').mockImplementation(async (graceMs) => {
      order.push(`queue(${graceMs})`);
      await close(graceMs);
    });
    const redis = gateway.app.get(RedisConnection);
    const redisClose = redis.onApplicationShutdown.bind(redis);
    jest.spyOn(redis, 'onApplicationShutdown').mockImplementation(async () => {
      order.push('redis');
      await redisClose();
    });
    await gateway.close();
    expect(order).toEqual(['listener', 'queue(500)', 'redis']);
    expect(queueClose).toHaveBeenCalledTimes(1);
  });
});
