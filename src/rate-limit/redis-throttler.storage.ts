import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { storeCall } from '../redis/store-unavailable.error';

/**
 * Rate-limit counters in Redis, shared by every replica (one atomic Lua script per hit, from
 * @nest-lab/throttler-storage-redis). A fixed window that starts with a tenant's first call in it.
 * When Redis does not answer, the call fails closed: 503 store_unavailable, never unlimited.
 */
export class RedisThrottlerStorage extends ThrottlerStorageRedisService {
  override increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ReturnType<ThrottlerStorage['increment']> {
    return storeCall(() => super.increment(key, ttl, limit, blockDuration, throttlerName));
  }
}
