import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { eventsConfig, type EventsConfig } from '../config/events.config';
import { RedisConnection } from '../redis/redis.connection';
import { MemoryMessageRecordStore } from './memory-message-record.store';
import { MESSAGE_RECORD_STORE, type MessageRecordStore } from './message-record-store.interface';
import { RedisMessageRecordStore } from './redis-message-record.store';

/** The message record store: Redis with REDIS_URL (shared by replicas), else bounded memory. */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig)],
  providers: [
    {
      provide: MESSAGE_RECORD_STORE,
      inject: [eventsConfig.KEY, RedisConnection],
      useFactory: (config: EventsConfig, redis: RedisConnection): MessageRecordStore => {
        const ttlMs = config.messageRetentionSeconds * 1_000;
        return redis.client
          ? new RedisMessageRecordStore(redis.client, ttlMs)
          : new MemoryMessageRecordStore(config.messageRecordsMaxEntries, ttlMs);
      },
    },
  ],
  exports: [MESSAGE_RECORD_STORE],
})
export class MessageRecordsModule {}
