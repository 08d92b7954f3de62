/** Blooio's outbound status events: each says how far one of our messages got. */
export const BLOOIO_STATUS_EVENTS = [
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
] as const;
export type BlooioStatusEvent = (typeof BLOOIO_STATUS_EVENTS)[number];

/** Every Blooio event the gateway turns into one of its own (§11). Others are valid but unused. */
export const BLOOIO_KNOWN_EVENTS = [
  ...BLOOIO_STATUS_EVENTS,
  'message.received',
  'message.reaction',
] as const;
export type BlooioKnownEvent = (typeof BLOOIO_KNOWN_EVENTS)[number];

export interface BlooioAttachment {
  url: string;
  name?: string;
}

export interface BlooioParticipant {
  contactId?: string;
  identifier?: string;
  name?: string;
}

export interface BlooioReplyTo {
  messageId?: string;
  guid?: string;
  partIndex: number;
}

/**
 * One Blooio webhook (SPEC `WebhookEventPayload`, flat and snake_case on the wire), read into
 * camelCase with `null` as absent. Times are epoch milliseconds, as Blooio sends them.
 */
export interface BlooioEvent {
  event: string;
  messageId: string;
  /** The contact, or the group id: the chat on Blooio's side. */
  externalId?: string;
  status?: string;
  protocol?: string;
  timestamp?: number;
  /** Our number that sent or received it. */
  internalId?: string;
  text?: string;
  attachments?: BlooioAttachment[];
  isGroup: boolean;
  groupId?: string;
  groupName?: string;
  participants?: BlooioParticipant[];
  /** Who wrote an inbound message (or reacted). */
  sender?: string;
  sentAt?: number;
  deliveredAt?: number;
  readAt?: number;
  errorCode?: string;
  errorMessage?: string;
  replyTo?: BlooioReplyTo;
  /** `message.reaction` only (community-documented shape). */
  reaction?: string;
  action?: 'add' | 'remove';
  direction?: 'inbound' | 'outbound';
  originalText?: string;
}

export const isStatusEvent = (event: string): event is BlooioStatusEvent =>
  (BLOOIO_STATUS_EVENTS as readonly string[]).includes(event);

export const isKnownEvent = (event: string): event is BlooioKnownEvent =>
  (BLOOIO_KNOWN_EVENTS as readonly string[]).includes(event);
