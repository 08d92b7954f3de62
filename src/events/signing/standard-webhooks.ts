import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../common/secret';
import { decodeWebhookSecret } from '../../common/webhook-secret';

export { generateWebhookSecret } from '../../common/webhook-secret';

/**
 * Standard Webhooks 1.0 (https://www.standardwebhooks.com, DESIGN §11 "Pushing"): each delivery
 * carries `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated
 * list of `v1,<base64 HMAC-SHA256>` (key = the base64-decoded secret after `whsec_`, message =
 * `<id>.<timestamp>.<body>`), one per secret, so a receiver may rotate its secret without downtime.
 */

/** What a delivery is POSTed with; the body sent must be exactly the bytes that were signed. */
export type StandardWebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'content-type': 'application/json';
};

export type WebhookBody = string | Uint8Array;

/** Why a delivery was refused (the verdict's `detail` says it in words, never with a secret). */
export type WebhookVerifyFailure = 'no_secret' | 'missing' | 'malformed' | 'stale' | 'mismatch';

export type WebhookVerdict =
  | { valid: true; id: string; /** unix seconds */ timestamp: number }
  | { valid: false; reason: WebhookVerifyFailure; detail: string };

/** How far a timestamp may be from now, either way, unless the caller says otherwise (the spec's). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Longer than any honest header (3 secrets, a few asymmetric ones); bounds a forged one's cost. */
const MAX_SIGNATURE_HEADER_LENGTH = 2_048;
const MAX_SIGNATURES = 10;
const MAX_ID_LENGTH = 256;
const TIMESTAMP = /^\d{1,12}$/;
/** The base64 of 32 bytes, the only length an HMAC-SHA256 has. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

function keyOf(secret: Secret): Buffer {
  const key = decodeWebhookSecret(secret.reveal());
  // Never names the value: the tenant file and the CLIs check secrets before they get here.
  if (!key) throw new Error('a webhook secret is not whsec_ + base64 of 24 to 64 bytes');
  return key;
}

function hmac(key: Buffer, id: string, timestamp: number, body: WebhookBody): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
}

/** The `webhook-signature` value: one `v1,<base64>` per secret, space-separated, in their order. */
export function signWebhook(
  id: string,
  timestampSeconds: number,
  body: WebhookBody,
  secrets: readonly Secret[],
): string {
  if (secrets.length === 0) throw new Error('signing a webhook needs at least one secret');
  return secrets
    .map((secret) => `v1,${hmac(keyOf(secret), id, timestampSeconds, body).toString('base64')}`)
    .join(' ');
}

/** Every header a delivery of `body` is POSTed with. */
export function webhookHeaders(
  id: string,
  timestampSeconds: number,
  body: WebhookBody,
  secrets: readonly Secret[],
): StandardWebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(id, timestampSeconds, body, secrets),
    'content-type': 'application/json',
  };
}

type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A header by its name in any case (node's are lowercase already); repeated = malformed. */
function header(headers: HeaderBag, name: string): string | readonly string[] | undefined {
  if (name in headers) return headers[name];
  const key = Object.keys(headers).find((other) => other.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

const refuse = (reason: WebhookVerifyFailure, detail: string): WebhookVerdict => ({
  valid: false,
  reason,
  detail,
});

/**
 * Checks one delivery as a receiver would. `body` must be the raw bytes received (a re-serialised
 * JSON does not verify). Every `v1` signature is compared with every secret's in constant time,
 * and all comparisons run, so the answer's timing tells nothing about which came close; schemes
 * other than `v1` (the spec's asymmetric `v1a`) are ignored. The timestamp must be within
 * `toleranceSeconds` of `nowMs` either way.
 */
export function verifyWebhook(
  headers: HeaderBag,
  body: WebhookBody,
  secrets: readonly Secret[],
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): WebhookVerdict {
  if (secrets.length === 0) return refuse('no_secret', 'no secret to verify with');
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatureText = header(headers, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestampText],
    ['webhook-signature', signatureText],
  ]
    .filter(([, value]) => value === undefined || value === '')
    .map(([name]) => name as string);
  if (missing.length > 0) return refuse('missing', `no ${missing.join(', ')} header`);
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH) {
    return refuse(
      'malformed',
      `webhook-id must be one string of at most ${MAX_ID_LENGTH} characters`,
    );
  }
  if (typeof timestampText !== 'string' || !TIMESTAMP.test(timestampText)) {
    return refuse('malformed', 'webhook-timestamp must be unix seconds');
  }
  if (typeof signatureText !== 'string' || signatureText.length > MAX_SIGNATURE_HEADER_LENGTH) {
    return refuse(
      'malformed',
      `webhook-signature must be one header of at most ${MAX_SIGNATURE_HEADER_LENGTH} characters`,
    );
  }
  const items = signatureText.split(' ').filter((item) => item !== '');
  if (items.length > MAX_SIGNATURES) {
    return refuse('malformed', `webhook-signature has more than ${MAX_SIGNATURES} signatures`);
  }
  const signatures = items
    .filter((item) => item.startsWith('v1,') && BASE64_SHA256.test(item.slice(3)))
    .map((item) => Buffer.from(item.slice(3), 'base64'));
  if (signatures.length === 0) {
    return refuse('malformed', 'webhook-signature has no v1,<base64 HMAC-SHA256> signature');
  }
  const timestamp = Number(timestampText);
  const skew = nowMs / 1_000 - timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    const seconds = Math.round(Math.abs(skew));
    const when = skew > 0 ? `${seconds} s old` : `${seconds} s in the future`;
    return refuse('stale', `webhook-timestamp is ${when} (tolerance ${toleranceSeconds} s)`);
  }
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(keyOf(secret), id, timestamp, body);
    for (const signature of signatures) {
      matched = timingSafeEqual(expected, signature) || matched;
    }
  }
  return matched
    ? { valid: true, id, timestamp }
    : refuse('mismatch', 'no v1 signature matches this id, timestamp and body with any secret');
}
