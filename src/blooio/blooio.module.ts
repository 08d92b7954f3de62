import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { blooioConfig, type BlooioConfig } from '../config/blooio.config';
import { SandboxModule } from '../sandbox/sandbox.module';
import { SandboxService } from '../sandbox/sandbox.service';
import { TenantRegistry } from '../tenants/tenant-registry';
import { BlooioClient } from './blooio.client';
import { BlooioSender } from './blooio.sender';
import { BLOOIO_BASE_URL } from './blooio.constants';
import { BlooioTransportModule } from './blooio-transport.module';
import { createUndiciAdapter } from './undici.adapter';
import { UndiciDispatcher } from './undici-dispatcher';

@Module({
  imports: [
    ConfigModule.forFeature(blooioConfig),
    SandboxModule,
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
      inject: [blooioConfig.KEY, SandboxService, TenantRegistry],
      useFactory: async (
        config: BlooioConfig,
        sandbox: SandboxService,
        tenants: TenantRegistry,
      ): Promise<string> =>
        sandbox.enabled
          ? sandbox.startSimulator(tenants.tenants.map((tenant) => tenant.blooio.apiKey.reveal()))
          : config.baseUrl,
    },
  ],
  exports: [BlooioSender],
})
export class BlooioModule {}
