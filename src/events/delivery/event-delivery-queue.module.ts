import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { BullModule, getSharedConfigToken } from '@nestjs/bullmq';
import type { QueueOptions } from 'bullmq';
import { appConfig } from '../../config/app.config';
import { eventsConfig, type EventsConfig } from '../../config/events.config';
import { redisConfig, type RedisConfig } from '../../config/redis.config';
import { BullmqEventDeliveryQueue } from './bullmq-event-delivery.queue';
import { EVENT_DELIVERY_QUEUE, type EventDeliveryQueue } from './event-delivery-queue.interface';
import { MemoryEventDeliveryQueue } from './memory-event-delivery.queue';

/**
 * BullMQ's key prefix: under REDIS_KEY_PREFIX like every other key of the gateway (`bgw:` gives
 * `bgw:bullmq:<lane>:…`), through BullMQ's `prefix`, since BullMQ refuses ioredis' `keyPrefix`.
 */
export function bullmqPrefix(keyPrefix: string): string {
  return `${keyPrefix}bullmq`;
}

/** What @nestjs/bullmq shares with every BullMQ queue of the app: where Redis is, and the prefix. */
export function bullmqRootOptions(redis: RedisConfig): QueueOptions {
  return {
    prefix: bullmqPrefix(redis.keyPrefix),
    connection: redis.url ? { url: redis.url.reveal() } : {},
  };
}

export function createEventDeliveryQueue(
  events: EventsConfig,
  redis: RedisConfig,
  bull: QueueOptions,
): EventDeliveryQueue {
  const finishedRetentionMs = events.eventRetentionSeconds * 1_000;
  const { url } = bull.connection as { url?: string };
  if (!redis.url || !url) {
    return new MemoryEventDeliveryQueue({
      finishedRetentionMs,
      maxFinished: events.eventLogMaxEntries,
    });
  }
  return new BullmqEventDeliveryQueue({
    url,
    prefix: bull.prefix ?? bullmqPrefix(redis.keyPrefix),
    finishedRetentionMs,
    maxFinishedPerLane: events.eventLogMaxEntries,
    stalledMs: events.deliveryStalledMs,
    commandTimeoutMs: redis.commandTimeoutMs,
  });
}

/**
 * EVENT_DELIVERY_QUEUE: BullMQ with REDIS_URL (durable, shared by replicas), else in memory. The
 * connection and prefix are @nestjs/bullmq's shared configuration (BullModule.forRootAsync); the
 * queues themselves are made per endpoint lane at run time, since endpoints come from the tenant
 * file rather than from decorators. Closed by EventDeliveryLifecycle (its one owner) at shutdown.
 */
@Module({
  imports: [
    ConfigModule.forFeature(appConfig),
    ConfigModule.forFeature(eventsConfig),
    ConfigModule.forFeature(redisConfig),
    BullModule.forRootAsync({
      imports: [ConfigModule.forFeature(redisConfig)],
      inject: [redisConfig.KEY],
      useFactory: bullmqRootOptions,
    }),
  ],
  providers: [
    {
      provide: EVENT_DELIVERY_QUEUE,
      inject: [eventsConfig.KEY, redisConfig.KEY, getSharedConfigToken()],
      useFactory: createEventDeliveryQueue,
    },
  ],
  exports: [EVENT_DELIVERY_QUEUE],
})
export class EventDeliveryQueueModule {}
