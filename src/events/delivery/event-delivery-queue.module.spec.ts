import { loadEventsConfig } from '../../config/events.config';
import { loadRedisConfig } from '../../config/redis.config';
import { BullmqEventDeliveryQueue } from './bullmq-event-delivery.queue';
import { bullmqRootOptions, createEventDeliveryQueue } from './event-delivery-queue.module';
import { MemoryEventDeliveryQueue } from './memory-event-delivery.queue';

describe('the delivery queue provider', () => {
  it('derives BullMQ’s prefix from REDIS_KEY_PREFIX and gives no ioredis keyPrefix', () => {
    const redis = loadRedisConfig({
      REDIS_URL: 'redis://:pw@127.0.0.1:6379/2',
      REDIS_KEY_PREFIX: 'acme:',
    });
    expect(bullmqRootOptions(redis)).toEqual({
      prefix: 'acme:bullmq',
      connection: { url: 'redis://:pw@127.0.0.1:6379/2' },
    });
    expect(bullmqRootOptions(loadRedisConfig({})).prefix).toBe('bgw:bullmq');
  });

  it('is in memory without REDIS_URL', async () => {
    const redis = loadRedisConfig({});
    const queue = createEventDeliveryQueue(loadEventsConfig({}), redis, bullmqRootOptions(redis));
    expect(queue).toBeInstanceOf(MemoryEventDeliveryQueue);
    await queue.close(0);
  });

  it('is BullMQ with REDIS_URL', async () => {
    // A closed port: nothing is sent, the connections are only made and closed.
    const redis = loadRedisConfig({ REDIS_URL: 'redis://127.0.0.1:1' });
    const queue = createEventDeliveryQueue(loadEventsConfig({}), redis, bullmqRootOptions(redis));
    expect(queue).toBeInstanceOf(BullmqEventDeliveryQueue);
    await queue.close(0);
  });

  it('reads EVENT_DELIVERY_STALLED_MS with the other EVENT_* settings, 1 s at least', () => {
    expect(loadEventsConfig({}).deliveryStalledMs).toBe(30_000);
    expect(loadEventsConfig({ EVENT_DELIVERY_STALLED_MS: '2000' }).deliveryStalledMs).toBe(2_000);
    expect(() => loadEventsConfig({ EVENT_DELIVERY_STALLED_MS: '10' })).toThrow(
      /EVENT_DELIVERY_STALLED_MS/,
    );
    expect(loadRedisConfig({})).not.toHaveProperty('deliveryStalledMs');
  });
});
