import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { TenantRegistry } from '../tenants/tenant-registry';

/** Ready once the tenant configuration is loaded (it is validated at boot, so: has tenants). */
@Injectable()
export class TenantsHealthIndicator {
  constructor(
    private readonly registry: TenantRegistry,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(key = 'tenants'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    const tenants = this.registry.tenants.length;
    return tenants > 0 ? indicator.up({ tenants }) : indicator.down({ tenants });
  }
}
