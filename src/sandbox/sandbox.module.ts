import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { SandboxService } from './sandbox.service';

@Module({
  imports: [ConfigModule.forFeature(appConfig)],
  providers: [SandboxService],
  exports: [SandboxService],
})
export class SandboxModule {}
