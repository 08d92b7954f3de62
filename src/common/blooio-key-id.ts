import { createHash } from 'node:crypto';
import type { Secret } from './secret';

const DOMAIN = 'bgw:blooio-key-id\u0000';

/**
 * An opaque identity of a Blooio key: tenants sharing one key share it, and nothing of the key can
 * be learned from it (a domain-separated SHA-256, first 128 bits in hex). Message records and the
 * webhook routing are scoped by it, never by the key itself.
 */
export function blooioKeyIdOf(apiKey: Secret): string {
  let id = computed.get(apiKey);
  if (id === undefined) {
    id = createHash('sha256')
      .update(DOMAIN + apiKey.reveal(), 'utf8')
      .digest('hex')
      .slice(0, 32);
    computed.set(apiKey, id);
  }
  return id;
}

/** A tenant's key is one Secret for the process's life: its identity is hashed once. */
const computed = new WeakMap<Secret, string>();
