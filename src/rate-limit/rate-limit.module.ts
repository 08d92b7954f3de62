import { Module, type ExecutionContext } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { RateLimit } from '../tenants/tenant';
import '../tenants/principal.request';
import { RedisConnection } from '../redis/redis.connection';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { TenantThrottlerGuard } from './tenant-throttler.guard';

/** The tenant's own limit, read per request (tenants may differ). */
const tenantLimit =
  (window: keyof RateLimit) =>
  (context: ExecutionContext): number => {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (!principal) throw new Error('rate limits need an authenticated tenant');
    return principal.tenant.rateLimit[window];
  };

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [RedisConnection],
      useFactory: (redis: RedisConnection) => ({
        // Headers other than Retry-After are left out: named throttlers would suffix them oddly.
        setHeaders: false,
        throttlers: [
          { name: 'second', ttl: 1_000, limit: tenantLimit('perSecond') },
          { name: 'minute', ttl: 60_000, limit: tenantLimit('perMinute') },
        ],
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
