import { Module } from '@nestjs/common';
import { BlooioModule } from '../blooio/blooio.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  imports: [BlooioModule, IdempotencyModule, RateLimitModule],
  controllers: [MessagesController],
  providers: [MessagesService],
})
export class MessagesModule {}
