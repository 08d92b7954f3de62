import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { redisConfig } from '../config/redis.config';
import { RedisConnection } from './redis.connection';

/** Shared state for several replicas; without REDIS_URL the connection is simply absent. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(redisConfig)],
  providers: [RedisConnection],
  exports: [RedisConnection],
})
export class RedisModule {}
