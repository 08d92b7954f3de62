import { createHash } from 'node:crypto';

/**
 * The Idempotency-Key sent to Blooio for a caller's key. Derived from (tenant, caller key, request
 * fingerprint): tenants sharing a Blooio account never collide, and once the gateway's own record is
 * gone (expiry, eviction, restart) an old key reused for a *different* message is a new send at
 * Blooio rather than Blooio's replay of the old message.
 */
export function upstreamIdempotencyKey(
  tenantId: string,
  callerKey: string,
  fingerprint: string,
): string {
  return createHash('sha256')
    .update(`bgw:v2\0${tenantId}\0${callerKey}\0${fingerprint}`, 'utf8')
    .digest('hex');
}
