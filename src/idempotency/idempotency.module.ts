import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { blooioConfig } from '../config/blooio.config';
import { idempotencyConfig, type IdempotencyConfig } from '../config/idempotency.config';
import { IDEMPOTENCY_STORE } from './idempotency-store.interface';
import { IdempotencyService } from './idempotency.service';
import { MemoryIdempotencyStore } from './memory-idempotency.store';

@Module({
  imports: [ConfigModule.forFeature(idempotencyConfig), ConfigModule.forFeature(blooioConfig)],
  providers: [
    {
      provide: IDEMPOTENCY_STORE,
      inject: [idempotencyConfig.KEY],
      useFactory: (config: IdempotencyConfig) => new MemoryIdempotencyStore(config.maxEntries),
    },
    IdempotencyService,
  ],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
