import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RedisConnection } from '../redis/redis.connection';

/** Ready when Redis answers a PING, if it is configured; in-memory mode has nothing to check. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisConnection,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key = 'redis'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    if (!this.redis.enabled) return indicator.up({ mode: 'memory' });
    return (await this.redis.ping())
      ? indicator.up({ mode: 'redis' })
      : indicator.down({ mode: 'redis', message: 'Redis does not answer' });
  }
}
