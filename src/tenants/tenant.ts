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

export interface Tenant {
  id: string;
  name?: string;
  blooio: {
    apiKey: Secret;
    /** When set, the only numbers this tenant may send from. */
    senders?: readonly string[];
    defaultSender?: string;
  };
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
