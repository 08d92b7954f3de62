import { Injectable } from '@nestjs/common';
import type { Secret } from '../common/secret';
import type { Tenant } from '../tenants/tenant';

/** Blooio allows one secret per webhook; 3 in the file (rotation) plus one kept at run time. */
const MAX_RUNTIME_SECRETS_PER_TENANT = 3;

/**
 * The secrets a tenant's Blooio webhooks are signed with: the tenant file's
 * `blooio.webhook.signingSecrets`, plus those the gateway was given at run time by registering
 * its own receiver (the sandbox does, at boot, with the simulator). Run-time ones live in memory
 * only: a restart registers again.
 */
@Injectable()
export class WebhookSigningSecrets {
  private readonly runtime = new Map<string, Secret[]>();

  of(tenant: Tenant): readonly Secret[] {
    const added = this.runtime.get(tenant.id);
    return added
      ? [...tenant.blooio.webhook.signingSecrets, ...added]
      : tenant.blooio.webhook.signingSecrets;
  }

  /** Trusts one more secret for this tenant (the newest few are kept). */
  add(tenantId: string, secret: Secret): void {
    const secrets = [...(this.runtime.get(tenantId) ?? []), secret];
    this.runtime.set(tenantId, secrets.slice(-MAX_RUNTIME_SECRETS_PER_TENANT));
  }
}
