import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { readRateLimitConfig, type ReadRateLimitConfig } from '../config/rate-limit.config';
import { RedisConnection } from '../redis/redis.connection';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { TenantThrottlerGuard } from './tenant-throttler.guard';
import { tenantThrottlers } from './tenant-throttlers';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [ConfigModule.forFeature(readRateLimitConfig)],
      inject: [RedisConnection, readRateLimitConfig.KEY],
      useFactory: (redis: RedisConnection, reads: ReadRateLimitConfig) => ({
        // Headers other than Retry-After are left out: named throttlers would suffix them oddly.
        setHeaders: false,
        throttlers: tenantThrottlers(reads),
        // Shared by every replica when Redis is configured; this process's memory otherwise.
        storage: redis.client
          ? new RedisThrottlerStorage(redis.client)
          : new MemoryThrottlerStorage(),
      }),
    }),
  ],
  providers: [TenantThrottlerGuard],
  exports: [TenantThrottlerGuard, ThrottlerModule],
})
export class RateLimitModule {}
