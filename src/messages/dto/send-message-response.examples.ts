/**
 * Answers Swagger UI shows for 202/200, one per shape a send can have (never every field at once).
 * test/docs-examples.e2e-spec.ts sends the matching request and compares the answer's fields.
 */
export const SEND_MESSAGE_RESPONSE_EXAMPLES = {
  single: {
    summary: 'One message (text to one phone number)',
    value: {
      messageId: 'msg_9f8e7d6c5b4a3f2e',
      status: 'queued',
      chatId: '+15551234567',
      sender: '+15550001111',
    },
  },
  group: {
    summary: 'Group send (several recipients: a group chat of exactly them)',
    value: {
      messageId: 'msg_1a2b3c4d5e6f7a8b',
      status: 'queued',
      chatId: '+15551234567,jane@example.com',
      groupId: 'grp_abc123def456',
      groupCreated: true,
      participants: ['+15551234567', 'jane@example.com'],
      sender: '+15550001111',
    },
  },
  textArray: {
    summary: 'Text array: one message per string',
    value: {
      messageIds: ['msg_9f8e7d6c5b4a3f2e', 'msg_1a2b3c4d5e6f7a8b'],
      status: 'queued',
      chatId: '+15551234567',
      sender: '+15550001111',
    },
  },
} as const;

/** A replay (200) repeats the first answer, which then carries the caller's key. */
export const SEND_MESSAGE_REPLAY_EXAMPLES = {
  replay: {
    summary: 'The recorded answer to the first request with this Idempotency-Key',
    value: { ...SEND_MESSAGE_RESPONSE_EXAMPLES.single.value, idempotencyKey: 'order-1234-shipped' },
  },
} as const;
