import type { BlooioMessageStatus } from '../blooio/blooio.types';
import type { Secret } from '../common/secret';
import { messageErrorOf } from '../message-records/message-error';
import type { MessageStatus, MessageStatusUpdate } from '../message-records/message-record';

/** The statuses Blooio's status route may answer (never `read`: reads come as webhooks). */
const BLOOIO_STATUSES: ReadonlySet<string> = new Set<MessageStatus>([
  'pending',
  'queued',
  'cancellation_requested',
  'sent',
  'delivered',
  'failed',
  'cancelled',
]);
const PROTOCOLS: ReadonlySet<string> = new Set(['pending', 'unknown', 'imessage', 'sms', 'rcs']);
/** `sentAt` is only news once the message left (Blooio sets `time_sent` from the start). */
const SENT_OR_LATER: ReadonlySet<string> = new Set(['sent', 'delivered']);

/**
 * What Blooio's `GET …/status` answer says about a message, as an update for its record. Every
 * field is checked: an unexpected value is left out rather than stored; the error text is cleaned
 * (`messageErrorOf`: bounded, no control characters, the tenant's Blooio key `key` scrubbed).
 */
export function statusUpdateOf(
  body: BlooioMessageStatus,
  at: string,
  key: Secret,
): MessageStatusUpdate {
  const update: MessageStatusUpdate = { at };
  const status =
    typeof body.status === 'string' && BLOOIO_STATUSES.has(body.status)
      ? (body.status as MessageStatus)
      : undefined;
  if (status) update.status = status;
  if (typeof body.protocol === 'string' && PROTOCOLS.has(body.protocol)) {
    update.protocol = body.protocol;
  }
  if (status && SENT_OR_LATER.has(status)) {
    const sentAt = isoOf(body.time_sent);
    if (sentAt) update.sentAt = sentAt;
  }
  if (status === 'delivered') {
    const deliveredAt = isoOf(body.time_delivered);
    if (deliveredAt) update.deliveredAt = deliveredAt;
  }
  if (status === 'failed') {
    update.failedAt = at;
    const error = messageErrorOf({ message: body.error }, key);
    if (error) update.error = error;
  }
  return update;
}

/** Unix milliseconds as ISO 8601 UTC; undefined for anything that is not a plausible time. */
function isoOf(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
