import { randomBytes } from 'node:crypto';

/**
 * The secrets of Standard Webhooks 1.0 (DESIGN §11, "Pushing"): `whsec_` and the base64 of the
 * HMAC key's bytes. Here, in common/, because both the tenant file's schema (tenants/) and the
 * signing code (events/) need it, and tenants/ may not import events/.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;
/** What a new secret holds: 256 bits, as much as an HMAC-SHA256 key can use. */
export const WEBHOOK_SECRET_GENERATED_BYTES = 32;

/** What a secret must be, in words (never with a value). */
export const WEBHOOK_SECRET_FORMAT =
  `${WEBHOOK_SECRET_PREFIX} followed by the base64 of ` +
  `${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} bytes`;
export const WEBHOOK_SECRET_MESSAGE = `must be ${WEBHOOK_SECRET_FORMAT}`;

/** Standard base64 (RFC 4648 §4) with its padding: what Standard Webhooks' libraries decode. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The longest text that can hold MAX bytes, checked before any regular expression runs. */
const MAX_LENGTH = WEBHOOK_SECRET_PREFIX.length + Math.ceil(WEBHOOK_SECRET_MAX_BYTES / 3) * 4;

/**
 * The HMAC key a secret stands for, or undefined when it is not one: `whsec_`, then canonical
 * base64 (so that every library decodes it to the same bytes) of 24 to 64 bytes.
 */
export function decodeWebhookSecret(secret: string): Buffer | undefined {
  if (secret.length > MAX_LENGTH || !secret.startsWith(WEBHOOK_SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  // Non-zero bits in the last character's unused part decode like zero bits: not canonical.
  if (key.toString('base64') !== encoded) return undefined;
  if (key.length < WEBHOOK_SECRET_MIN_BYTES || key.length > WEBHOOK_SECRET_MAX_BYTES) {
    return undefined;
  }
  return key;
}

export function isWebhookSecret(secret: string): boolean {
  return decodeWebhookSecret(secret) !== undefined;
}

/** A new secret: `whsec_` + the base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(WEBHOOK_SECRET_GENERATED_BYTES).toString('base64');
}
