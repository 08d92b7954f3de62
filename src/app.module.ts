import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from './config/app.config';
import { blooioConfig } from './config/blooio.config';
import { validateEnvironment } from './config/configuration';
import { idempotencyConfig } from './config/idempotency.config';
import { rateLimitConfig } from './config/rate-limit.config';
import { redisConfig } from './config/redis.config';
import { BlooioWebhooksModule } from './blooio-webhooks/blooio-webhooks.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MetricsModule } from './metrics/metrics.module';
import { MessagesModule } from './messages/messages.module';
import { RedisModule } from './redis/redis.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { TenantsModule } from './tenants/tenants.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      ignoreEnvFile: true,
      validate: validateEnvironment,
      load: [appConfig, blooioConfig, idempotencyConfig, rateLimitConfig, redisConfig],
    }),
    LifecycleModule,
    MetricsModule,
    RedisModule,
    SandboxModule,
    TenantsModule,
    MessagesModule,
    BlooioWebhooksModule,
    EventsModule,
    HealthModule,
  ],
})
export class AppModule {}
