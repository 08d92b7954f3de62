import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { BLOOIO_BASE_URL_OVERRIDE } from '../blooio/blooio.constants';
import { appConfig } from '../config/app.config';
import { SandboxService } from './sandbox.service';

/** Global so that BlooioModule finds the simulator's base URL without importing the sandbox. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(appConfig)],
  providers: [
    SandboxService,
    {
      provide: BLOOIO_BASE_URL_OVERRIDE,
      inject: [SandboxService],
      useFactory: (sandbox: SandboxService): Promise<string> | undefined =>
        sandbox.enabled ? sandbox.startSimulator() : undefined,
    },
  ],
  exports: [SandboxService, BLOOIO_BASE_URL_OVERRIDE],
})
export class SandboxModule {}
