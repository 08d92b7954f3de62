import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Secret } from '../common/secret';

/** Why a delivery was refused: for logs and metrics only; the caller gets one answer for all. */
export type SignatureFailure = 'no_secret' | 'missing' | 'malformed' | 'stale' | 'mismatch';

export type SignatureCheck =
  | { valid: true; /** `t` of the header, unix seconds */ timestamp: number }
  | { valid: false; reason: SignatureFailure };

export interface SignatureInput {
  /** The `X-Blooio-Signature` header as the HTTP layer gave it (twice = an array). */
  header: string | readonly string[] | undefined;
  /** The body exactly as received: the signature covers these bytes, not a re-serialised JSON. */
  rawBody: Buffer;
  /** Every secret configured for the tenant; any one of them may have signed. */
  secrets: readonly Secret[];
  toleranceSeconds: number;
  nowMs: number;
}

/** Longer than any honest header (a `t`, a few `v1`s); bounds the work a forged one can cause. */
const MAX_HEADER_LENGTH = 1_024;
const MAX_ITEMS = 8;
const TIMESTAMP = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

interface ParsedHeader {
  timestamp: number;
  signatures: Buffer[];
}

/**
 * `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`. Several `v1` are allowed and unknown schemes (a future
 * `v2`) ignored, as Blooio's versioned format intends; exactly one `t`.
 */
export function parseSignatureHeader(header: string): ParsedHeader | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  const items = header.split(',');
  if (items.length > MAX_ITEMS) return undefined;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of items) {
    const equals = item.indexOf('=');
    if (equals < 0) return undefined;
    const scheme = item.slice(0, equals).trim();
    const value = item.slice(equals + 1).trim();
    if (scheme === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined;
      timestamp = Number(value);
    } else if (scheme === 'v1' && HEX_SHA256.test(value)) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** `v1` as Blooio computes it: HMAC-SHA256 keyed with the secret string's bytes, `whsec_` included. */
export function blooioSignature(secret: string, timestamp: number, rawBody: Buffer): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${timestamp}.`)
    .update(rawBody)
    .digest();
}

/** The header Blooio would send for this body (the simulator and tests sign with it). */
export function blooioSignatureHeader(secret: string, timestamp: number, rawBody: Buffer): string {
  return `t=${timestamp},v1=${blooioSignature(secret, timestamp, rawBody).toString('hex')}`;
}

/**
 * What an unknown tenant, or one with no secret, is checked against: a secret no one knows (new
 * in each process), so that such a delivery costs the same HMAC as one to a real tenant and the
 * answer's timing does not tell which tenants exist or have a secret.
 */
const NO_ONES_SECRETS: readonly Secret[] = [
  new Secret(`whsec_${randomBytes(32).toString('base64url')}`),
];

/**
 * Checks a Blooio webhook's signature. Every configured secret is compared with every `v1` in
 * constant time, and all comparisons run, so the answer's timing tells nothing about which secret
 * or signature came close. The timestamp must be within the tolerance either way (a future `t`
 * is as suspect as an old one). With no secret at all, the same work is done against a secret no
 * one knows, and the answer is `no_secret`.
 */
export function verifyBlooioSignature(input: SignatureInput): SignatureCheck {
  const configured = input.secrets.length > 0;
  if (input.header === undefined || input.header === '') return { valid: false, reason: 'missing' };
  if (typeof input.header !== 'string') return { valid: false, reason: 'malformed' };
  const parsed = parseSignatureHeader(input.header);
  if (!parsed) return { valid: false, reason: 'malformed' };
  if (Math.abs(input.nowMs / 1_000 - parsed.timestamp) > input.toleranceSeconds) {
    return { valid: false, reason: 'stale' };
  }
  let matched = false;
  for (const secret of configured ? input.secrets : NO_ONES_SECRETS) {
    const expected = blooioSignature(secret.reveal(), parsed.timestamp, input.rawBody);
    for (const signature of parsed.signatures) {
      // Both are 32 bytes (the header's were checked as 64 hex digits).
      matched = timingSafeEqual(expected, signature) || matched;
    }
  }
  if (!configured) return { valid: false, reason: 'no_secret' };
  return matched
    ? { valid: true, timestamp: parsed.timestamp }
    : { valid: false, reason: 'mismatch' };
}
