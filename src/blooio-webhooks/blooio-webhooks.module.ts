import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { eventsConfig } from '../config/events.config';
import { EventsModule } from '../events/events.module';
import { MessageRecordsModule } from '../message-records/message-records.module';
import { BlooioEventRouter } from './blooio-event.router';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';
import { BlooioWebhookReceiver } from './blooio-webhook.receiver';
import { BlooioWebhooksController } from './blooio-webhooks.controller';
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
