import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { BlooioModule } from '../blooio/blooio.module';
import { blooioConfig } from '../config/blooio.config';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  imports: [ConfigModule.forFeature(blooioConfig), BlooioModule, RateLimitModule],
  controllers: [MessagesController],
  providers: [MessagesService],
})
export class MessagesModule {}
