import { createHash } from 'node:crypto';
import type { BlooioEvent } from './blooio-event';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_CHARACTERS = 26;

/**
 * The gateway's id of a Blooio event: the same for every delivery of it (Blooio's retries, its
 * replays, two replicas receiving one), different for different events. Blooio's v2 body has no
 * event id of its own, so it is a hash of what makes an event one: the tenant, the message, the
 * event and, for reactions (several per message), the reaction, its action and who reacted. Not
 * `timestamp` (it may change between retries), nor anything outside the body.
 */
export function deriveEventId(tenantId: string, event: BlooioEvent): string {
  const identity: (string | null)[] = [tenantId, event.messageId, event.event];
  if (event.event === 'message.reaction') {
    identity.push(event.reaction ?? null, event.action ?? null, event.sender ?? null);
  }
  // JSON of an array: no choice of separator can make two identities collide.
  const digest = createHash('sha256').update(JSON.stringify(identity)).digest();
  return `evt_${base32(digest).slice(0, ID_CHARACTERS)}`;
}

function base32(bytes: Buffer): string {
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
