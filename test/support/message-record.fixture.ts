import type { MessageRecord } from '../../src/message-records/message-record';

/** A plain outbound record for specs and e2e tests; override what the test is about. */
export function outboundRecord(overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    tenantId: 'acme',
    messageId: 'msg_1',
    direction: 'outbound',
    blooioKeyId: 'key-a',
    chatId: '+15551234567',
    recipients: ['+15551234567'],
    sender: '+15550001111',
    metadata: { orderId: 'A-17' },
    createdAt: '2026-12-02T10:00:00.000Z',
    updatedAt: '2026-12-02T10:00:00.000Z',
    status: 'queued',
    ...overrides,
  };
}
