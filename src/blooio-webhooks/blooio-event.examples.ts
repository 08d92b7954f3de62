import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * Blooio's `WebhookEventPayload` (flat, snake_case, times in Unix milliseconds), the fields the
 * gateway reads; Blooio may send more, and they are ignored.
 */
export const BLOOIO_EVENT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['event', 'message_id'],
  properties: {
    event: { type: 'string', example: 'message.delivered' },
    message_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    external_id: { type: 'string', description: 'The contact, or the group id' },
    internal_id: { type: 'string', description: "The tenant's number that sent or received it" },
    status: { type: 'string' },
    protocol: { type: 'string' },
    timestamp: { type: 'integer', description: 'Unix milliseconds' },
    is_group: { type: 'boolean' },
    text: { type: 'string' },
    sender: { type: 'string' },
    sent_at: { type: 'integer' },
    delivered_at: { type: 'integer' },
    read_at: { type: 'integer' },
    error_code: { type: 'string' },
    error_message: { type: 'string' },
  },
};

export const BLOOIO_EVENT_EXAMPLES = {
  delivered: {
    summary: 'message.delivered: one of the tenant’s messages arrived',
    value: {
      event: 'message.delivered',
      message_id: 'msg_Q2x8nT4kVb7yZp1RmA3c',
      external_id: '+15551234567',
      status: 'delivered',
      protocol: 'imessage',
      timestamp: 1796205605000,
      internal_id: '+15550001111',
      is_group: false,
      delivered_at: 1796205605000,
    },
  },
  received: {
    summary: 'message.received: a contact wrote to one of the tenant’s numbers',
    value: {
      event: 'message.received',
      message_id: 'msg_Hk3LmN8pQr2StU5vWx9y',
      external_id: '+15551234567',
      status: 'received',
      protocol: 'imessage',
      timestamp: 1796205612000,
      internal_id: '+15550001111',
      is_group: false,
      sender: '+15551234567',
      text: 'Thanks, got it!',
    },
  },
};
