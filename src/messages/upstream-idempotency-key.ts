import { createHash, randomUUID } from 'node:crypto';

/**
 * The Idempotency-Key sent to Blooio. Derived from (tenant, caller key) so that tenants sharing a
 * Blooio account never collide; without a caller key, a fresh UUID for this one request.
 */
export function upstreamIdempotencyKey(tenantId: string, callerKey: string | undefined): string {
  if (callerKey === undefined) return randomUUID();
  return createHash('sha256').update(`bgw:v1\0${tenantId}\0${callerKey}`, 'utf8').digest('hex');
}
