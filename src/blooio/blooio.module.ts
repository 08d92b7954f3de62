import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { BlooioClient } from './blooio.client';
import { BlooioSender } from './blooio.sender';
import { BLOOIO_BASE_URL, BLOOIO_BASE_URL_OVERRIDE } from './blooio.constants';
import { BlooioTransportModule } from './blooio-transport.module';
import { createUndiciAdapter } from './undici.adapter';
import { UndiciDispatcher } from './undici-dispatcher';

@Module({
  imports: [
    ConfigModule.forFeature(blooioConfig),
    HttpModule.registerAsync({
      imports: [BlooioTransportModule],
      inject: [UndiciDispatcher],
      useFactory: (dispatcher: UndiciDispatcher) => ({
        adapter: createUndiciAdapter(dispatcher.agent),
        maxRedirects: 0,
      }),
    }),
  ],
  providers: [
    BlooioClient,
    BlooioSender,
    {
      provide: BLOOIO_BASE_URL,
      inject: [blooioConfig.KEY, { token: BLOOIO_BASE_URL_OVERRIDE, optional: true }],
      useFactory: (config: BlooioConfig, override?: string): string => override ?? config.baseUrl,
    },
  ],
  exports: [BlooioSender],
})
export class BlooioModule {}
