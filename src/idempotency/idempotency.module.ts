import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { blooioConfig } from '../config/blooio.config';
import { idempotencyConfig, type IdempotencyConfig } from '../config/idempotency.config';
import { RedisConnection } from '../redis/redis.connection';
import { IDEMPOTENCY_STORE, type IdempotencyStore } from './idempotency-store.interface';
import { IdempotencyService } from './idempotency.service';
import { MemoryIdempotencyStore } from './memory-idempotency.store';
import { RedisIdempotencyStore } from './redis-idempotency.store';

@Module({
  imports: [ConfigModule.forFeature(idempotencyConfig), ConfigModule.forFeature(blooioConfig)],
  providers: [
    {
      provide: IDEMPOTENCY_STORE,
      inject: [idempotencyConfig.KEY, RedisConnection],
      useFactory: (config: IdempotencyConfig, redis: RedisConnection): IdempotencyStore =>
        redis.client
          ? new RedisIdempotencyStore(redis.client)
          : new MemoryIdempotencyStore(config.maxEntries),
    },
    IdempotencyService,
  ],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
