import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { eventsConfig } from '../config/events.config';
import { MessageRecordsModule } from '../message-records/message-records.module';
import { BlooioEventRouter } from './blooio-event.router';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';

/** The receiving side's providers; the receiver route is wired where the tenants are known. */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), MessageRecordsModule],
  providers: [BlooioSignatureVerifier, BlooioEventRouter],
  exports: [BlooioSignatureVerifier, BlooioEventRouter, MessageRecordsModule],
})
export class BlooioWebhooksModule {}
