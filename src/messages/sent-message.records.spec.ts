import type { OutboundMessage } from './outbound-message';
import { sentMessageRecords, type SentMessage } from './sent-message.records';

const AT = '2026-12-02T10:00:00.000Z';

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  chatId: '+15551234567',
  recipients: ['+15551234567'],
  sender: '+15550001111',
  body: { text: 'hi' },
  ...overrides,
});

const sent = (overrides: Partial<SentMessage> = {}): SentMessage => ({
  tenantId: 'acme',
  blooioKeyId: 'k'.repeat(32),
  message: message(),
  response: { message_id: 'msg_1', status: 'queued' },
  at: AT,
  ...overrides,
});

describe('sentMessageRecords', () => {
  it('records one message with everything the gateway knows of it', () => {
    const [record, ...rest] = sentMessageRecords(
      sent({
        message: message({ metadata: { orderId: 'A-17' } }),
        idempotencyKey: 'order-17',
      }),
    );
    expect(rest).toEqual([]);
    expect(record).toEqual({
      tenantId: 'acme',
      messageId: 'msg_1',
      direction: 'outbound',
      blooioKeyId: 'k'.repeat(32),
      chatId: '+15551234567',
      recipients: ['+15551234567'],
      sender: '+15550001111',
      metadata: { orderId: 'A-17' },
      idempotencyKey: 'order-17',
      createdAt: AT,
      updatedAt: AT,
      status: 'queued',
    });
  });

  it('records each id of a text array, once each', () => {
    const records = sentMessageRecords(
      sent({ response: { message_ids: ['msg_1', 'msg_2', 'msg_1'], count: 3 } }),
    );
    expect(records.map((record) => record.messageId)).toEqual(['msg_1', 'msg_2']);
    expect(records.every((record) => record.status === 'queued')).toBe(true);
  });

  it("keeps a group's id and Blooio's participants as recipients", () => {
    const [record] = sentMessageRecords(
      sent({
        message: message({
          chatId: '+15551234567,+15559876543',
          recipients: ['+15551234567', '+15559876543'],
        }),
        response: {
          message_id: 'msg_g',
          group_id: 'grp_1',
          participants: ['+15559876543', '+15551234567'],
        },
      }),
    );
    expect(record).toMatchObject({
      groupId: 'grp_1',
      recipients: ['+15559876543', '+15551234567'],
    });
    const [byId] = sentMessageRecords(
      sent({ message: message({ chatId: 'grp_2', recipients: ['grp_2'] }) }),
    );
    expect(byId.groupId).toBe('grp_2');
  });

  it('records a message Blooio accepted as failed with its failure time', () => {
    const [record] = sentMessageRecords(sent({ response: { message_id: 'm', status: 'failed' } }));
    expect(record).toMatchObject({ status: 'failed', failedAt: AT });
  });

  it('records nothing for ids the gateway could never serve, and none without an id', () => {
    expect(sentMessageRecords(sent({ response: { message_id: 'a/b' } }))).toEqual([]);
    expect(sentMessageRecords(sent({ response: { message_id: 'x'.repeat(65) } }))).toEqual([]);
    expect(sentMessageRecords(sent({ response: {} }))).toEqual([]);
  });
});
