import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ShutdownState } from '../lifecycle/shutdown-state';

/** Down from the moment shutdown begins, so that no new traffic is routed here. */
@Injectable()
export class ShutdownHealthIndicator {
  constructor(
    private readonly shutdown: ShutdownState,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(key = 'lifecycle'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    return this.shutdown.draining
      ? indicator.down({ state: 'shutting down' })
      : indicator.up({ state: 'serving' });
  }
}
