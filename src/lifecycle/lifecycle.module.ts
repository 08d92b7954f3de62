import { Global, Module } from '@nestjs/common';
import { InFlightWork } from './in-flight-work';
import { ShutdownState } from './shutdown-state';

@Global()
@Module({
  providers: [ShutdownState, InFlightWork],
  exports: [ShutdownState, InFlightWork],
})
export class LifecycleModule {}
