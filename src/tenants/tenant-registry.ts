import { hashApiKey } from '../common/api-key';
import type { Principal, Tenant } from './tenant';

/** The tenants of this deployment and their keys, indexed by key digest. */
export class TenantRegistry {
  private readonly byId: ReadonlyMap<string, Tenant>;
  private readonly tenantsPerBlooioKey: ReadonlyMap<string, number>;

  constructor(
    readonly tenants: readonly Tenant[],
    private readonly principalsByDigest: ReadonlyMap<string, Principal>,
  ) {
    this.byId = new Map(tenants.map((tenant) => [tenant.id, tenant]));
    const counts = new Map<string, number>();
    for (const { blooio } of tenants) counts.set(blooio.keyId, (counts.get(blooio.keyId) ?? 0) + 1);
    this.tenantsPerBlooioKey = counts;
  }

  /** The principal a presented key belongs to, if any. */
  authenticate(presentedKey: string): Principal | undefined {
    return this.principalsByDigest.get(hashApiKey(presentedKey));
  }

  find(tenantId: string): Tenant | undefined {
    return this.byId.get(tenantId);
  }

  /** Whether another tenant uses the same Blooio key (false for an unknown tenant). */
  sharesBlooioKey(tenantId: string): boolean {
    const tenant = this.byId.get(tenantId);
    return tenant !== undefined && (this.tenantsPerBlooioKey.get(tenant.blooio.keyId) ?? 0) > 1;
  }
}
