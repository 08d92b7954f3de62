import type {
  GatewayAttachment,
  GatewayEvent,
  MessageStatusEventData,
} from '../events/gateway-event';
import type { Secret } from '../common/secret';
import { messageErrorOf } from '../message-records/message-error';
import type { MessageRecord, MessageStatusUpdate } from '../message-records/message-record';
import { type BlooioEvent, type BlooioStatusEvent, isStatusEvent } from './blooio-event';
import { deriveEventId } from './blooio-event.id';
import { withoutAbsent } from './without-absent';

const iso = (ms: number) => new Date(ms).toISOString();

/** When the event happened: Blooio's `timestamp`, else when the gateway received it. */
const eventTime = (event: BlooioEvent, receivedAtMs: number) =>
  iso(event.timestamp ?? receivedAtMs);

const STATUS_OF: Readonly<Record<BlooioStatusEvent, MessageStatusEventData['status']>> = {
  'message.sent': 'sent',
  'message.delivered': 'delivered',
  'message.read': 'read',
  'message.failed': 'failed',
};

/**
 * The event with its error text (`error_code`, `error_message`) fit to keep in records and
 * events: bounded, no control characters, the tenant's Blooio key `key` scrubbed
 * (`messageErrorOf`). The receiver applies it once, as soon as the event is read.
 */
export function withCleanError(event: BlooioEvent, key: Secret): BlooioEvent {
  if (event.errorCode === undefined && event.errorMessage === undefined) return event;
  const error = messageErrorOf({ code: event.errorCode, message: event.errorMessage }, key);
  const { errorCode: _code, errorMessage: _message, ...rest } = event;
  return withoutAbsent({ ...rest, errorCode: error?.code, errorMessage: error?.message });
}

/**
 * What a status event says of its message: the status, and its times from Blooio's `sent_at`,
 * `delivered_at`, `read_at` (else the event's own time for the one it announces). Undefined for
 * events that are not about an outbound message's progress.
 */
export function statusUpdateOf(
  event: BlooioEvent,
  receivedAtMs: number,
): MessageStatusUpdate | undefined {
  if (!isStatusEvent(event.event)) return undefined;
  const status = STATUS_OF[event.event];
  const at = eventTime(event, receivedAtMs);
  const update: MessageStatusUpdate = { status, at: iso(receivedAtMs) };
  if (event.protocol) update.protocol = event.protocol;
  const sentAt = event.sentAt ?? (status === 'sent' ? event.timestamp : undefined);
  const deliveredAt = event.deliveredAt ?? (status === 'delivered' ? event.timestamp : undefined);
  const readAt = event.readAt ?? (status === 'read' ? event.timestamp : undefined);
  if (sentAt !== undefined) update.sentAt = iso(sentAt);
  if (deliveredAt !== undefined) update.deliveredAt = iso(deliveredAt);
  if (readAt !== undefined) update.readAt = iso(readAt);
  if (status === 'sent' && update.sentAt === undefined) update.sentAt = at;
  if (status === 'delivered' && update.deliveredAt === undefined) update.deliveredAt = at;
  if (status === 'read' && update.readAt === undefined) update.readAt = at;
  if (status === 'failed') {
    update.failedAt = at;
    const error = withoutAbsent({ code: event.errorCode, message: event.errorMessage });
    if (error.code !== undefined || error.message !== undefined) update.error = error;
  }
  return update;
}

/**
 * The record of an inbound message routed to a tenant (§10, `direction: "inbound"`): its chat is
 * Blooio's `external_id`, its sender the contact, its recipient the tenant's number.
 */
export function inboundRecordOf(
  tenantId: string,
  blooioKeyId: string,
  event: BlooioEvent,
  receivedAtMs: number,
): MessageRecord | undefined {
  if (event.event !== 'message.received' || !event.externalId) return undefined;
  const from = inboundFrom(event);
  return {
    tenantId,
    messageId: event.messageId,
    direction: 'inbound',
    blooioKeyId,
    chatId: event.externalId,
    recipients: event.internalId ? [event.internalId] : [],
    ...(event.groupId && { groupId: event.groupId }),
    ...(from && { sender: from }),
    createdAt: eventTime(event, receivedAtMs),
    updatedAt: iso(receivedAtMs),
    status: 'received',
    ...(event.protocol && { protocol: event.protocol }),
  };
}

/** Who wrote: Blooio's `sender`, else (one to one) the chat's contact. */
const inboundFrom = (event: BlooioEvent) =>
  event.sender ?? (event.isGroup ? undefined : event.externalId);

/**
 * The gateway's event (§11) for a Blooio event routed to `tenantId`; `record` is the tenant's
 * message record after this event was applied to it, when there is one (it gives the chat,
 * recipients, sender and metadata that Blooio's body lacks). Undefined for event types the gateway
 * does not relay (Blooio's poll events, future ones).
 */
export function toGatewayEvent(
  tenantId: string,
  event: BlooioEvent,
  receivedAtMs: number,
  record?: MessageRecord,
): GatewayEvent | undefined {
  const id = deriveEventId(tenantId, event);
  const timestamp = eventTime(event, receivedAtMs);
  if (isStatusEvent(event.event)) {
    return {
      id,
      type: event.event,
      timestamp,
      tenantId,
      data: statusData(event.event, event, receivedAtMs, record),
    };
  }
  if (event.event === 'message.received' && event.externalId) {
    return {
      id,
      type: 'message.received',
      timestamp,
      tenantId,
      data: withoutAbsent({
        messageId: event.messageId,
        direction: 'inbound',
        from: inboundFrom(event),
        to: event.internalId,
        chatId: event.externalId,
        isGroup: event.isGroup,
        groupId: event.groupId,
        groupName: event.groupName,
        participants: event.participants
          ?.map((p) => p.identifier)
          .filter((identifier): identifier is string => identifier !== undefined),
        text: event.text,
        attachments: event.attachments?.map((a): GatewayAttachment =>
          a.name ? { url: a.url, name: a.name } : { url: a.url },
        ),
        protocol: event.protocol,
        replyTo: event.replyTo && { ...event.replyTo },
        receivedAt: timestamp,
      }),
    };
  }
  if (event.event === 'message.reaction' && event.externalId && event.reaction && event.action) {
    const direction = event.direction ?? 'inbound';
    return {
      id,
      type: 'message.reaction',
      timestamp,
      tenantId,
      data: withoutAbsent({
        messageId: event.messageId,
        direction,
        reaction: event.reaction,
        action: event.action,
        from: direction === 'inbound' ? (event.sender ?? event.externalId) : event.internalId,
        to: direction === 'inbound' ? event.internalId : event.externalId,
        chatId: event.externalId,
        originalText: event.originalText,
        reactedAt: timestamp,
      }),
    };
  }
  return undefined;
}

function statusData(
  type: BlooioStatusEvent,
  event: BlooioEvent,
  receivedAtMs: number,
  record: MessageRecord | undefined,
): MessageStatusEventData {
  const update = statusUpdateOf(event, receivedAtMs)!;
  return withoutAbsent({
    messageId: event.messageId,
    direction: 'outbound',
    status: STATUS_OF[type],
    protocol: event.protocol ?? record?.protocol,
    chatId: record?.chatId ?? event.externalId,
    recipients: record?.recipients && [...record.recipients],
    groupId: record?.groupId ?? event.groupId,
    sender: record?.sender ?? event.internalId,
    // This event's own times first; the record fills in what earlier events told.
    sentAt: update.sentAt ?? record?.sentAt,
    deliveredAt: update.deliveredAt ?? record?.deliveredAt,
    readAt: update.readAt ?? record?.readAt,
    failedAt: update.failedAt ?? record?.failedAt,
    error: update.error ?? (type === 'message.failed' ? record?.error : undefined),
    metadata: record?.metadata && { ...record.metadata },
  });
}
