import type { BlooioSendMessageResponse } from '../blooio/blooio.types';
import { GROUP_ID } from '../common/address-patterns';
import {
  MESSAGE_ID_PATTERN,
  MESSAGE_STATUSES,
  type MessageRecord,
  type MessageStatus,
} from '../message-records/message-record';
import type { OutboundMessage } from './outbound-message';

export interface SentMessage {
  tenantId: string;
  blooioKeyId: string;
  message: OutboundMessage;
  /** What Blooio answered to the send. */
  response: BlooioSendMessageResponse;
  /** The caller's Idempotency-Key, if it sent one. */
  idempotencyKey?: string;
  /** When Blooio accepted it, ISO 8601 UTC. */
  at: string;
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(MESSAGE_STATUSES);

/**
 * One record per message Blooio accepted (§10): `message_ids` when a call sent several (a text
 * array), else `message_id`. An id the gateway could never serve (not `^[A-Za-z0-9_-]{1,64}$`) is
 * not recorded.
 */
export function sentMessageRecords(sent: SentMessage): MessageRecord[] {
  const { message, response, at } = sent;
  const ids =
    Array.isArray(response.message_ids) && response.message_ids.length > 0
      ? response.message_ids
      : [response.message_id];
  const status: MessageStatus =
    typeof response.status === 'string' && KNOWN_STATUSES.has(response.status)
      ? response.status
      : 'queued';
  const groupId =
    typeof response.group_id === 'string'
      ? response.group_id
      : message.recipients.find((recipient) => GROUP_ID.test(recipient));
  const participants = Array.isArray(response.participants)
    ? response.participants.filter((item): item is string => typeof item === 'string')
    : [];
  const recipients = participants.length > 0 ? participants : message.recipients;
  const unique = [...new Set(ids)].filter(
    (id): id is string => typeof id === 'string' && MESSAGE_ID_PATTERN.test(id),
  );
  return unique.map((messageId) => ({
    tenantId: sent.tenantId,
    messageId,
    direction: 'outbound',
    blooioKeyId: sent.blooioKeyId,
    chatId: message.chatId,
    recipients: [...recipients],
    ...(groupId !== undefined && { groupId }),
    ...(message.sender !== undefined && { sender: message.sender }),
    ...(message.metadata && { metadata: { ...message.metadata } }),
    ...(sent.idempotencyKey !== undefined && { idempotencyKey: sent.idempotencyKey }),
    createdAt: at,
    updatedAt: at,
    status,
    ...(status === 'failed' && { failedAt: at }),
  }));
}
