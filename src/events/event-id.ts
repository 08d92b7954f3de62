import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_CHARACTERS = 26;
/** 26 base32 characters hold 130 bits: 17 bytes give them all. */
const ID_BYTES = 17;

/**
 * The gateway's one event-id form (gateway-event.ts's EVENT_ID_PATTERN): `evt_` and the first 26 base32 characters
 * (lowercase RFC 4648 alphabet, unpadded) of `bytes`, which must hold 17 bytes at least.
 */
export function eventIdOf(bytes: Uint8Array): string {
  if (bytes.length < ID_BYTES) throw new RangeError(`an event id takes ${ID_BYTES} bytes at least`);
  return `evt_${base32(bytes.subarray(0, ID_BYTES)).slice(0, ID_CHARACTERS)}`;
}

/** A fresh random event id (a `webhook.test`, which is in no log). */
export function newEventId(): string {
  return eventIdOf(randomBytes(ID_BYTES));
}

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}
