import { createHash } from 'node:crypto';
import type { CountryCode } from 'libphonenumber-js';
import type { Secret } from '../common/secret';

export const SCOPES = ['messages:send', 'messages:read', 'events:read', 'events:manage'] as const;

export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The most recipients a tenant's maxRecipients may allow (and any request may carry). */
export const MAX_RECIPIENTS_LIMIT = 100;
export type Scope = (typeof SCOPES)[number];

export interface RateLimit {
  perSecond: number;
  perMinute: number;
}

/** One of a tenant's own webhook endpoints: gateway → the tenant's apps (DESIGN §11, "Pushing"). */
export interface WebhookEndpoint {
  /** Unique in its tenant (TENANT_ID_PATTERN's form). */
  id: string;
  /** `https:`, or `http:` to a loopback host. */
  url: string;
  /**
   * The event types it subscribes to (`message.*` for every message type): never empty, every
   * type when the tenant file lists none (match with `subscribesTo` of common/gateway-event-types).
   */
  events: readonly string[];
  /** `whsec_` secrets (1 to 3): every one signs each delivery. */
  secrets: readonly Secret[];
}

export interface Tenant {
  id: string;
  name?: string;
  blooio: {
    apiKey: Secret;
    /** When set, the only numbers this tenant may send from. */
    senders?: readonly string[];
    defaultSender?: string;
    /**
     * Opaque identity of the Blooio key (see blooioKeyIdOf): tenants that share a key share it. Never
     * the key itself, so it may go into records, logs and store keys.
     */
    keyId: string;
    /** Blooio → gateway webhooks; both lists empty when `blooio.webhook` is not configured. */
    webhook: {
      /** Every secret is tried (Blooio's rotation is immediate). */
      signingSecrets: readonly Secret[];
      /** The numbers whose inbound events are this tenant's (`inboundNumbers`, else `senders`). */
      inboundNumbers: readonly string[];
    };
  };
  /** The tenant's webhook endpoints (gateway → its apps); empty when the tenant file lists none. */
  webhooks: readonly WebhookEndpoint[];
  defaultCountry?: CountryCode;
  maxRecipients: number;
  rateLimit: RateLimit;
}

/** Who is calling: one gateway API key of one tenant. */
export interface Principal {
  tenant: Tenant;
  keyId: string;
  scopes: ReadonlySet<Scope>;
}

/**
 * The opaque identity of a Blooio key: a domain-separated SHA-256, cut to 128 bits (enough to tell
 * keys apart, and it reveals nothing usable about the key).
 */
export function blooioKeyIdOf(apiKey: string): string {
  return createHash('sha256')
    .update(`bgw:blooio-key-id\0${apiKey}`, 'utf8')
    .digest('hex')
    .slice(0, 32);
}
