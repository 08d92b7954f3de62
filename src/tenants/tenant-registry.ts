import { hashApiKey } from '../common/api-key';
import type { Principal, Tenant } from './tenant';

/** The tenants of this deployment and their keys, indexed by key digest. */
export class TenantRegistry {
  constructor(
    readonly tenants: readonly Tenant[],
    private readonly principalsByDigest: ReadonlyMap<string, Principal>,
  ) {}

  /** The principal a presented key belongs to, if any. */
  authenticate(presentedKey: string): Principal | undefined {
    return this.principalsByDigest.get(hashApiKey(presentedKey));
  }
}
