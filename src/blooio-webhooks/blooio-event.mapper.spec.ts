import { outboundRecord } from '../../test/support/message-record.fixture';
import { EVENT_ID_PATTERN } from '../events/gateway-event';
import type { BlooioEvent } from './blooio-event';
import { deriveEventId } from './blooio-event.id';
import { inboundRecordOf, statusUpdateOf, toGatewayEvent } from './blooio-event.mapper';
import { parseBlooioEvent } from './blooio-event.parser';

const T = Date.parse('2026-12-02T10:00:05.000Z');
const RECEIVED = Date.parse('2026-12-02T10:00:06.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const status = (event: string, extra: Record<string, unknown> = {}): BlooioEvent =>
  parseBlooioEvent({
    event,
    message_id: 'msg_1',
    external_id: '+15551234567',
    protocol: 'imessage',
    timestamp: T,
    internal_id: '+15550001111',
    is_group: false,
    ...extra,
  });

describe('toGatewayEvent', () => {
  it('gives a status event the record’s chat, recipients, sender and metadata', () => {
    const record = outboundRecord({ sentAt: iso(T - 2_000), groupId: 'grp_1' });
    expect(
      toGatewayEvent(
        'acme',
        status('message.delivered', { delivered_at: T - 500 }),
        RECEIVED,
        record,
      ),
    ).toEqual({
      id: deriveEventId('acme', status('message.delivered')),
      type: 'message.delivered',
      timestamp: iso(T),
      tenantId: 'acme',
      data: {
        messageId: 'msg_1',
        direction: 'outbound',
        status: 'delivered',
        protocol: 'imessage',
        chatId: '+15551234567',
        recipients: ['+15551234567'],
        groupId: 'grp_1',
        sender: '+15550001111',
        sentAt: iso(T - 2_000),
        deliveredAt: iso(T - 500),
        metadata: { orderId: 'A-17' },
      },
    });
  });

  it.each([
    ['message.sent', 'sentAt', 'sent_at'],
    ['message.delivered', 'deliveredAt', 'delivered_at'],
    ['message.read', 'readAt', 'read_at'],
  ])(
    '%s: %s from Blooio’s %s, else the event’s timestamp, else the time received',
    (type, field, blooioField) => {
      expect(
        toGatewayEvent('acme', status(type, { [blooioField]: T - 1 }), RECEIVED)?.data,
      ).toMatchObject({
        [field]: iso(T - 1),
      });
      expect(toGatewayEvent('acme', status(type), RECEIVED)?.data).toMatchObject({
        [field]: iso(T),
      });
      const untimed = status(type, { timestamp: null });
      const mapped = toGatewayEvent('acme', untimed, RECEIVED);
      expect(mapped).toMatchObject({ timestamp: iso(RECEIVED), data: { [field]: iso(RECEIVED) } });
    },
  );

  it('without a record, takes what Blooio’s body has', () => {
    expect(toGatewayEvent('acme', status('message.sent'), RECEIVED)?.data).toEqual({
      messageId: 'msg_1',
      direction: 'outbound',
      status: 'sent',
      protocol: 'imessage',
      chatId: '+15551234567',
      sender: '+15550001111',
      sentAt: iso(T),
    });
  });

  it('gives message.failed its error and failedAt', () => {
    const failed = status('message.failed', {
      error_code: 'not_imessage',
      error_message: 'No iMessage',
    });
    expect(toGatewayEvent('acme', failed, RECEIVED, outboundRecord())?.data).toMatchObject({
      status: 'failed',
      failedAt: iso(T),
      error: { code: 'not_imessage', message: 'No iMessage' },
    });
  });

  it('maps message.received with every field of §11', () => {
    const received = parseBlooioEvent({
      event: 'message.received',
      message_id: 'inb_1',
      external_id: 'grp_abc',
      protocol: 'imessage',
      timestamp: T,
      internal_id: '+15550001111',
      text: 'Yes, 3pm works',
      attachments: [
        'https://cdn.example/a.jpg',
        { url: 'https://cdn.example/b.pdf', name: 'b.pdf' },
      ],
      is_group: true,
      group_id: 'grp_abc',
      group_name: 'Team',
      participants: [
        { contact_id: 'c1', identifier: '+15551234567' },
        { contact_id: 'c2', identifier: '+15557654321' },
      ],
      sender: '+15551234567',
      reply_to: { message_id: 'msg_1', guid: 'G-1', part_index: 1 },
    });
    const mapped = toGatewayEvent('acme', received, RECEIVED);
    expect(mapped).toEqual({
      id: expect.stringMatching(EVENT_ID_PATTERN),
      type: 'message.received',
      timestamp: iso(T),
      tenantId: 'acme',
      data: {
        messageId: 'inb_1',
        direction: 'inbound',
        from: '+15551234567',
        to: '+15550001111',
        chatId: 'grp_abc',
        isGroup: true,
        groupId: 'grp_abc',
        groupName: 'Team',
        participants: ['+15551234567', '+15557654321'],
        text: 'Yes, 3pm works',
        attachments: [
          { url: 'https://cdn.example/a.jpg' },
          { url: 'https://cdn.example/b.pdf', name: 'b.pdf' },
        ],
        protocol: 'imessage',
        replyTo: { messageId: 'msg_1', guid: 'G-1', partIndex: 1 },
        receivedAt: iso(T),
      },
    });
  });

  it('takes the contact as the writer of a one-to-one message without a sender', () => {
    const received = parseBlooioEvent({
      event: 'message.received',
      message_id: 'inb_2',
      external_id: '+15551234567',
      internal_id: '+15550001111',
      is_group: false,
      sender: null,
      text: 'hi',
    });
    expect(toGatewayEvent('acme', received, RECEIVED)?.data).toMatchObject({
      from: '+15551234567',
      to: '+15550001111',
      isGroup: false,
      receivedAt: iso(RECEIVED),
    });
  });

  it('maps a reaction', () => {
    const reaction = parseBlooioEvent({
      event: 'message.reaction',
      message_id: 'msg_1',
      external_id: '+15551234567',
      internal_id: '+15550001111',
      reaction: 'love',
      action: 'add',
      sender: '+15551234567',
      original_text: 'Your order shipped',
      timestamp: T,
    });
    expect(toGatewayEvent('acme', reaction, RECEIVED)).toMatchObject({
      type: 'message.reaction',
      data: {
        messageId: 'msg_1',
        direction: 'inbound',
        reaction: 'love',
        action: 'add',
        from: '+15551234567',
        to: '+15550001111',
        chatId: '+15551234567',
        originalText: 'Your order shipped',
        reactedAt: iso(T),
      },
    });
  });

  it('relays no event type it does not know', () => {
    expect(
      toGatewayEvent('acme', parseBlooioEvent({ event: 'poll.voted', message_id: 'p1' }), RECEIVED),
    ).toBeUndefined();
  });
});

describe('statusUpdateOf', () => {
  it('says how far the message got and when, stamped with the time received', () => {
    expect(
      statusUpdateOf(status('message.read', { sent_at: T - 9, delivered_at: T - 5 }), RECEIVED),
    ).toEqual({
      status: 'read',
      protocol: 'imessage',
      sentAt: iso(T - 9),
      deliveredAt: iso(T - 5),
      readAt: iso(T),
      at: iso(RECEIVED),
    });
    expect(statusUpdateOf(status('message.failed'), RECEIVED)).toEqual({
      status: 'failed',
      protocol: 'imessage',
      failedAt: iso(T),
      at: iso(RECEIVED),
    });
    expect(statusUpdateOf(status('message.received'), RECEIVED)).toBeUndefined();
  });
});

describe('inboundRecordOf', () => {
  it('records an inbound message as received, from the contact to the tenant’s number', () => {
    const received = status('message.received', { message_id: 'inb_1', sender: '+15551234567' });
    expect(inboundRecordOf('acme', 'key-a', received, RECEIVED)).toEqual({
      tenantId: 'acme',
      messageId: 'inb_1',
      direction: 'inbound',
      blooioKeyId: 'key-a',
      chatId: '+15551234567',
      recipients: ['+15550001111'],
      sender: '+15551234567',
      createdAt: iso(T),
      updatedAt: iso(RECEIVED),
      status: 'received',
      protocol: 'imessage',
    });
    expect(inboundRecordOf('acme', 'key-a', status('message.sent'), RECEIVED)).toBeUndefined();
  });
});
