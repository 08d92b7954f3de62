import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { eventsConfig, type EventsConfig } from '../config/events.config';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RedisConnection } from '../redis/redis.connection';
import { EVENT_DELIVERIES } from './delivery/event-deliveries.interface';
import { NoEndpointDeliveries } from './delivery/no-endpoint-deliveries';
import { EVENT_LOG_STORE, type EventLogStore } from './event-log-store.interface';
import { EventsController } from './events.controller';
import { MemoryEventLogStore } from './memory-event-log.store';
import { RedisEventLogStore } from './redis-event-log.store';
import { WebhookEndpointsController } from './webhook-endpoints.controller';

/**
 * The event log: Redis with REDIS_URL (shared by replicas, one event however many receive it),
 * else bounded memory; its read API; and the routes of the tenant's webhook endpoints.
 */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), RateLimitModule],
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
    { provide: EVENT_DELIVERIES, useClass: NoEndpointDeliveries },
  ],
  exports: [EVENT_LOG_STORE],
})
export class EventsModule {}
