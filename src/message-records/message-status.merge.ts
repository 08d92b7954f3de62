import {
  FINAL_STATUSES,
  type MessageRecord,
  type MessageStatus,
  type MessageStatusUpdate,
} from './message-record';

/**
 * Progress of a message that has not ended: `queued`/`pending` < `sent` < `delivered` < `read`.
 * A cancellation request is still on the way (Blooio cancels best-effort, and may send it anyway).
 */
const PROGRESS: Readonly<Record<MessageStatus, number>> = {
  pending: 0,
  queued: 0,
  cancellation_requested: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
  cancelled: 4,
  received: 4,
};

/** Whether a message now in `current` may move to `next`: forward only, never out of an end. */
export function statusMayMove(current: MessageStatus, next: MessageStatus): boolean {
  if (current === next) return false;
  // delivered is final for polling, but a read receipt may still follow it.
  if (current === 'delivered') return next === 'read';
  if (FINAL_STATUSES.has(current)) return false;
  // An inbound message only ever is `received`; an outbound one never becomes it.
  if (next === 'received') return false;
  if (current === 'cancellation_requested' && (next === 'pending' || next === 'queued')) {
    return false;
  }
  return PROGRESS[next] > PROGRESS[current];
}

const TIMESTAMPS = ['sentAt', 'deliveredAt', 'readAt', 'failedAt'] as const;
/** Blooio resolves the protocol within seconds; a later `pending` is older news. */
const UNRESOLVED_PROTOCOL = 'pending';

/**
 * The record after an update, or the same object when the update says nothing new. Events arrive
 * out of order and twice: the status only moves forward, a timestamp once known is kept (a late
 * `message.sent` still gives `sentAt` to a delivered message), the error comes with `failed`.
 */
export function mergeStatus(record: MessageRecord, update: MessageStatusUpdate): MessageRecord {
  const next: MessageRecord = { ...record };
  let changed = false;
  if (update.status && statusMayMove(record.status, update.status)) {
    next.status = update.status;
    changed = true;
    if (update.status === 'failed' && update.error) next.error = { ...update.error };
  }
  for (const field of TIMESTAMPS) {
    const value = update[field];
    if (value !== undefined && record[field] === undefined) {
      next[field] = value;
      changed = true;
    }
  }
  if (
    update.protocol &&
    update.protocol !== record.protocol &&
    (record.protocol === undefined ||
      (record.protocol === UNRESOLVED_PROTOCOL && update.protocol !== UNRESOLVED_PROTOCOL))
  ) {
    next.protocol = update.protocol;
    changed = true;
  }
  if (!changed) return record;
  if (update.at > record.updatedAt) next.updatedAt = update.at;
  return next;
}

/** Whether the status may still change, so that asking Blooio is worth it (§10). */
export function isFinal(status: MessageStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * A record written again for an id its tenant already holds (an event came first, a write was
 * retried): the incoming record's fields win, its status and times are merged forward-only with
 * what is there, and the first `createdAt` stays.
 */
export function mergeRecord(existing: MessageRecord, incoming: MessageRecord): MessageRecord {
  const { status, protocol, sentAt, deliveredAt, readAt, failedAt, error, updatedAt } = existing;
  const base: MessageRecord = { ...incoming, createdAt: existing.createdAt, status, updatedAt };
  for (const [field, value] of Object.entries({
    protocol,
    sentAt,
    deliveredAt,
    readAt,
    failedAt,
    error,
  })) {
    if (value === undefined) delete base[field as keyof MessageRecord];
    else (base as unknown as Record<string, unknown>)[field] = value;
  }
  return mergeStatus(base, {
    status: incoming.status,
    protocol: incoming.protocol,
    sentAt: incoming.sentAt,
    deliveredAt: incoming.deliveredAt,
    readAt: incoming.readAt,
    failedAt: incoming.failedAt,
    error: incoming.error,
    at: incoming.updatedAt,
  });
}
