import { createHash } from 'node:crypto';
import { eventIdOf } from '../events/event-id';
import type { BlooioEvent } from './blooio-event';

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
  return eventIdOf(digest);
}
