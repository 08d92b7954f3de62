import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PREFIX = 'bgw_';
const KEY_BODY_LENGTH = 40;

/** A new gateway API key: `bgw_` + 40 uniformly random base62 characters (~238 bits). */
export function generateApiKey(): string {
  let body = '';
  while (body.length < KEY_BODY_LENGTH) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && body.length < KEY_BODY_LENGTH) body += BASE62[byte % 62];
    }
  }
  return API_KEY_PREFIX + body;
}

/** Keys are stored and looked up by this digest only. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

// RFC 6750 b64token, bounded so a huge header costs nothing to reject.
const TOKEN = String.raw`[A-Za-z0-9\-._~+/]{1,512}=*`;
const BEARER = new RegExp(`^Bearer +(${TOKEN}) *$`, 'i');

/** What `parseBearerToken` accepts as a key: a configured key outside it could never be presented. */
export const API_KEY_SYNTAX = new RegExp(`^${TOKEN}$`);

const BEARER_SCHEME = /^\s*Bearer(?:\s|$)/i;
const REPEATED_SCHEME = /^\s*Bearer\s+Bearer(?:\s|$)/i;

/**
 * Why an Authorization header yields no token, as the fix to make. Only the header's shape is
 * described, never what a key looks like or whether one exists.
 */
export function describeMalformedAuthorization(header: string | string[] | undefined): string {
  if (header === undefined) return 'Send the header Authorization: Bearer <gateway API key>';
  if (typeof header !== 'string') return 'Send one Authorization header: Bearer <gateway API key>';
  if (REPEATED_SCHEME.test(header)) {
    return 'The Authorization header says Bearer twice: send Bearer <gateway API key>, with the key pasted without its own Bearer prefix';
  }
  if (!BEARER_SCHEME.test(header)) {
    return 'The Authorization header lacks the Bearer scheme: send Bearer <gateway API key>';
  }
  return 'The Authorization header must be Bearer followed by one gateway API key';
}

/** The token of an `Authorization: Bearer …` header, or undefined when absent or malformed. */
export function parseBearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}
