import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { eventsConfig, type EventsConfig } from '../config/events.config';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RedisConnection } from '../redis/redis.connection';
import { EVENT_DELIVERIES } from './delivery/event-deliveries.interface';
import { EventDeliveryQueueModule } from './delivery/event-delivery-queue.module';
import { EVENT_DELIVERY_PROVIDERS } from './delivery/event-delivery.providers';
import { EVENT_LOG_STORE, type EventLogStore } from './event-log-store.interface';
import { EventsController } from './events.controller';
import { MemoryEventLogStore } from './memory-event-log.store';
import { RedisEventLogStore } from './redis-event-log.store';
import { WebhookEndpointsController } from './webhook-endpoints.controller';

/**
 * The event log: Redis with REDIS_URL (shared by replicas, one event however many receive it),
 * else bounded memory; its read API; pushing events to the tenants' webhook endpoints, and
 * the routes of those endpoints.
 */
@Module({
  imports: [
    ConfigModule.forFeature(eventsConfig),
    ConfigModule.forFeature(appConfig),
    RateLimitModule,
    EventDeliveryQueueModule,
  ],
  controllers: [EventsController, WebhookEndpointsController],
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
    ...EVENT_DELIVERY_PROVIDERS,
  ],
  exports: [EVENT_LOG_STORE, EVENT_DELIVERIES, EventDeliveryQueueModule],
})
export class EventsModule {}
