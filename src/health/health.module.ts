import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownHealthIndicator } from './shutdown.health';
import { TenantsHealthIndicator } from './tenants.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [TenantsHealthIndicator, RedisHealthIndicator, ShutdownHealthIndicator],
})
export class HealthModule {}
