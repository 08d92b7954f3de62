import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { eventsConfig } from '../config/events.config';
import { EventsModule } from '../events/events.module';
import { InFlightWork } from '../lifecycle/in-flight-work';
import { MessageRecordsModule } from '../message-records/message-records.module';
import { RedisConnection } from '../redis/redis.connection';
import { BlooioEventRouter } from './blooio-event.router';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';
import { BlooioWebhookReceiver } from './blooio-webhook.receiver';
import { BlooioWebhooksController } from './blooio-webhooks.controller';
import { RedisWaitingEvents } from './redis-waiting-events';
import { MemoryWaitingEvents, WAITING_EVENTS, type WaitingEvents } from './waiting-events';
import { WebhookSigningSecrets } from './webhook-signing-secrets';

/** Blooio's webhooks in (DESIGN §11): the receiver route, its verifier, router and recorder. */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), MessageRecordsModule, EventsModule],
  controllers: [BlooioWebhooksController],
  providers: [
    BlooioSignatureVerifier,
    BlooioEventRouter,
    BlooioWebhookReceiver,
    WebhookSigningSecrets,
    {
      // Events waiting for their record: in Redis with REDIS_URL (durable, any replica re-checks).
      provide: WAITING_EVENTS,
      inject: [RedisConnection, InFlightWork],
      useFactory: (redis: RedisConnection, work: InFlightWork): WaitingEvents =>
        redis.client ? new RedisWaitingEvents(redis.client, work) : new MemoryWaitingEvents(),
    },
  ],
  exports: [
    BlooioSignatureVerifier,
    BlooioEventRouter,
    BlooioWebhookReceiver,
    WebhookSigningSecrets,
    MessageRecordsModule,
  ],
})
export class BlooioWebhooksModule {}
