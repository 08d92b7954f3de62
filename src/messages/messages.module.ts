import { Module } from '@nestjs/common';
import { BlooioModule } from '../blooio/blooio.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { MessageRecordsModule } from '../message-records/message-records.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { MessagesController } from './messages.controller';
import { MessageRecorder } from './message-recorder';
import { MessageStatusService } from './message-status.service';
import { MessagesService } from './messages.service';

@Module({
  imports: [BlooioModule, IdempotencyModule, MessageRecordsModule, RateLimitModule],
  controllers: [MessagesController],
  providers: [MessagesService, MessageRecorder, MessageStatusService],
})
export class MessagesModule {}
