/**
 * The address forms the gateway accepts (DESIGN.md §2), shared by the send DTO, recipient
 * normalisation and the tenant file's senders.
 */

/** E.164: a plus, then 2 to 15 digits not starting with 0. */
export const E164 = /^\+[1-9]\d{1,14}$/;

/** Blooio group ids look like `grp_abc123def456`. */
export const GROUP_ID = /^grp_[A-Za-z0-9_-]{1,64}$/;

/**
 * A conservative email form: dot-atom local part of common characters, and a domain of LDH labels
 * ending in a letters-only TLD. No `/`, `%`, `,`, quotes, spaces or control characters can pass,
 * so nothing but an address can reach the upstream path segment.
 */
export const EMAIL =
  /^[a-z0-9!#$&'*+=?^_`{|}~-]+(?:\.[a-z0-9!#$&'*+=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const MAX_EMAIL_LENGTH = 254;

/** What a phone number may be written with before parsing: digits, +, spaces, ( ) . - */
export const PHONE_CHARACTERS = /^\+?[0-9 ().-]{2,30}$/;
