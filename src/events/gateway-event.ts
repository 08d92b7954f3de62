import type { GatewayEventType } from '../common/gateway-event-types';
import type { MessageError } from '../message-records/message-record';

/** The event types tenants see (§11): the list lives in common/, for the tenant file's schema. */
export { GATEWAY_EVENT_TYPES, type GatewayEventType } from '../common/gateway-event-types';

/** `evt_` and 26 base32 characters (130 bits of a hash): no `.` or `:`, safe as a job id. */
export const EVENT_ID_PATTERN = /^evt_[a-z2-7]{26}$/;

export interface GatewayAttachment {
  url: string;
  name?: string;
}

/** `message.sent`, `.delivered`, `.read`, `.failed`: one of the tenant's messages moved on. */
export interface MessageStatusEventData {
  messageId: string;
  direction: 'outbound';
  status: 'sent' | 'delivered' | 'read' | 'failed';
  protocol?: string;
  chatId?: string;
  recipients?: string[];
  groupId?: string;
  sender?: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
  failedAt?: string;
  error?: MessageError;
  metadata?: Record<string, string>;
}

/** `message.received`: a contact wrote to one of the tenant's numbers. */
export interface MessageReceivedEventData {
  messageId: string;
  direction: 'inbound';
  from?: string;
  to?: string;
  /** Blooio's `external_id`: the contact, or the group id. */
  chatId: string;
  isGroup: boolean;
  groupId?: string;
  groupName?: string;
  participants?: string[];
  text?: string;
  attachments?: GatewayAttachment[];
  protocol?: string;
  replyTo?: { messageId?: string; guid?: string; partIndex: number };
  receivedAt: string;
}

/** `message.reaction`: a tapback added to or removed from a message. */
export interface MessageReactionEventData {
  messageId: string;
  direction: 'inbound' | 'outbound';
  reaction: string;
  action: 'add' | 'remove';
  from?: string;
  to?: string;
  chatId: string;
  originalText?: string;
  reactedAt: string;
}

export interface WebhookTestEventData {
  endpointId: string;
}

export interface GatewayEventDataByType {
  'message.sent': MessageStatusEventData;
  'message.delivered': MessageStatusEventData;
  'message.read': MessageStatusEventData;
  'message.failed': MessageStatusEventData;
  'message.received': MessageReceivedEventData;
  'message.reaction': MessageReactionEventData;
  'webhook.test': WebhookTestEventData;
}

/** What tenants see of one event (§11), in the log and at their endpoints. */
export type GatewayEvent = {
  [Type in GatewayEventType]: {
    id: string;
    type: Type;
    /** When it happened (Blooio's time when it gave one), ISO 8601 UTC. */
    timestamp: string;
    tenantId: string;
    data: GatewayEventDataByType[Type];
  };
}[GatewayEventType];

/** The message an event is about, for the log's `messageId` filter. */
export function messageIdOf(event: GatewayEvent): string | undefined {
  return 'messageId' in event.data ? event.data.messageId : undefined;
}
