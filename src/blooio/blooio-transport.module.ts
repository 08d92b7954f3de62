import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { blooioConfig } from '../config/blooio.config';
import { UndiciDispatcher } from './undici-dispatcher';

/** Owns the connection pool so that it is created once and closed at shutdown. */
@Module({
  imports: [ConfigModule.forFeature(blooioConfig)],
  providers: [UndiciDispatcher],
  exports: [UndiciDispatcher],
})
export class BlooioTransportModule {}
