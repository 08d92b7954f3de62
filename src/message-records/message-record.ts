/** Blooio's message ids are opaque; this is what the gateway accepts, stores and serves. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Blooio's statuses (stored and webhook-only), plus what the gateway adds: `received` for an
 * inbound message.
 */
export const MESSAGE_STATUSES = [
  'pending',
  'queued',
  'cancellation_requested',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
  'received',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** After one of these, the recorded status never changes again (§10). */
export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set([
  'delivered',
  'read',
  'failed',
  'cancelled',
  'received',
]);

export type MessageDirection = 'outbound' | 'inbound';

export interface MessageError {
  code?: string;
  message?: string;
}

/** How far a message got, and when (ISO 8601 UTC). */
export interface MessageProgress {
  protocol?: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
  failedAt?: string;
  error?: MessageError;
}

/**
 * What the gateway remembers of one message (§10). Times are ISO 8601 UTC. An outbound record's
 * `sender` is the tenant's number and `recipients` the contacts; an inbound record's `sender` is the
 * contact who wrote and `recipients` the tenant's number that received it.
 */
export interface MessageRecord extends MessageProgress {
  tenantId: string;
  messageId: string;
  direction: MessageDirection;
  /**
   * Who the message went through at Blooio: an opaque identity of the tenant's Blooio key (never
   * the key). Tenants sharing a key share it; the routing lookup is scoped by it.
   */
  blooioKeyId: string;
  chatId: string;
  recipients: string[];
  groupId?: string;
  sender?: string;
  metadata?: Record<string, string>;
  idempotencyKey?: string;
  createdAt: string;
  updatedAt: string;
  status: MessageStatus;
}

/** What an event or a status answer from Blooio says about a message; every field optional. */
export interface MessageStatusUpdate extends MessageProgress {
  status?: MessageStatus;
  /** When the gateway learned it; becomes `updatedAt` if anything changed. */
  at: string;
}
