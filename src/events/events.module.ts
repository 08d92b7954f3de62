import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { eventsConfig, type EventsConfig } from '../config/events.config';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RedisConnection } from '../redis/redis.connection';
import { EventDeliveryQueueModule } from './delivery/event-delivery-queue.module';
import { EVENT_LOG_STORE, type EventLogStore } from './event-log-store.interface';
import { EventsController } from './events.controller';
import { MemoryEventLogStore } from './memory-event-log.store';
import { RedisEventLogStore } from './redis-event-log.store';

/**
 * The event log: Redis with REDIS_URL (shared by replicas, one event however many receive it),
 * else bounded memory; and its read API.
 */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), RateLimitModule, EventDeliveryQueueModule],
  controllers: [EventsController],
  providers: [
    {
      provide: EVENT_LOG_STORE,
      inject: [eventsConfig.KEY, RedisConnection],
      useFactory: (config: EventsConfig, redis: RedisConnection): EventLogStore => {
        const ttlMs = config.eventRetentionSeconds * 1_000;
        return redis.client
          ? new RedisEventLogStore(redis.client, ttlMs)
          : new MemoryEventLogStore(config.eventLogMaxEntries, ttlMs);
      },
    },
  ],
  exports: [EVENT_LOG_STORE, EventDeliveryQueueModule],
})
export class EventsModule {}
