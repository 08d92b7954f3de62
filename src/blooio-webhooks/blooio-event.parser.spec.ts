import fc from 'fast-check';
import { ProblemException } from '../problems/problem.exception';
import { parseBlooioEvent, validateBlooioEvent } from './blooio-event.parser';

const delivered = {
  event: 'message.delivered',
  message_id: 'msg_8fK2',
  external_id: '+15551234567',
  status: 'delivered',
  protocol: 'imessage',
  timestamp: 1_764_669_600_000,
  internal_id: '+15550001111',
  text: null,
  attachments: null,
  is_group: false,
  group_id: null,
  sender: null,
  sent_at: null,
  delivered_at: 1_764_669_599_500,
  read_at: null,
  error_code: null,
  error_message: null,
};

const received = {
  event: 'message.received',
  message_id: 'inb_1',
  external_id: 'grp_abc',
  status: 'received',
  protocol: 'imessage',
  timestamp: 1_764_669_600_000,
  internal_id: '+15550001111',
  text: 'Yes, 3pm works',
  attachments: ['https://cdn.example/a.jpg', { url: 'https://cdn.example/b.pdf', name: 'b.pdf' }],
  is_group: true,
  group_id: 'grp_abc',
  group_name: 'Team',
  participants: [{ contact_id: 'c1', identifier: '+15551234567', name: null }],
  sender: '+15551234567',
  reply_to: { message_id: 'msg_8fK2', guid: 'G-1', part_index: 0 },
};

const errorsOf = (body: unknown) => validateBlooioEvent(body).errors;

describe('validateBlooioEvent', () => {
  it('reads a status event, leaving nulls out', () => {
    expect(parseBlooioEvent(delivered)).toEqual({
      event: 'message.delivered',
      messageId: 'msg_8fK2',
      externalId: '+15551234567',
      status: 'delivered',
      protocol: 'imessage',
      timestamp: 1_764_669_600_000,
      internalId: '+15550001111',
      isGroup: false,
      deliveredAt: 1_764_669_599_500,
    });
  });

  it('reads an inbound group message with both spellings of attachments and a reply', () => {
    expect(parseBlooioEvent(received)).toMatchObject({
      event: 'message.received',
      externalId: 'grp_abc',
      text: 'Yes, 3pm works',
      attachments: [
        { url: 'https://cdn.example/a.jpg' },
        { url: 'https://cdn.example/b.pdf', name: 'b.pdf' },
      ],
      isGroup: true,
      groupId: 'grp_abc',
      groupName: 'Team',
      participants: [{ contactId: 'c1', identifier: '+15551234567' }],
      sender: '+15551234567',
      replyTo: { messageId: 'msg_8fK2', guid: 'G-1', partIndex: 0 },
    });
  });

  it('reads a reaction', () => {
    expect(
      parseBlooioEvent({
        event: 'message.reaction',
        message_id: 'msg_8fK2',
        external_id: '+15551234567',
        reaction: 'love',
        action: 'add',
        direction: 'inbound',
        sender: '+15551234567',
        original_text: 'Your order shipped',
        timestamp: 1,
        internal_id: '+15550001111',
      }),
    ).toMatchObject({
      reaction: 'love',
      action: 'add',
      direction: 'inbound',
      originalText: 'Your order shipped',
    });
  });

  it('lets unknown events, statuses and protocols and extra fields through', () => {
    expect(
      parseBlooioEvent({
        event: 'poll.voted',
        message_id: 'p1',
        status: 'voting',
        protocol: 'carrier_pigeon',
        extra: { a: 1 },
      }),
    ).toEqual({
      event: 'poll.voted',
      messageId: 'p1',
      status: 'voting',
      protocol: 'carrier_pigeon',
      isGroup: false,
    });
  });

  it.each([
    ['an array', [delivered], 'body'],
    ['a string', 'message.sent', 'body'],
    ['null', null, 'body'],
  ])('refuses %s as the body', (_name, body, path) => {
    expect(errorsOf(body)).toEqual([{ path, message: expect.any(String) }]);
  });

  it.each([
    ['event', undefined],
    ['event', 'Message Sent'],
    ['event', 42],
    ['message_id', undefined],
    ['message_id', '../../etc'],
    ['message_id', 'x'.repeat(65)],
    ['timestamp', '1764669600000'],
    ['timestamp', -1],
    ['timestamp', 1.5],
    ['delivered_at', 9e15],
    ['is_group', 'false'],
    ['external_id', 12],
    ['internal_id', 'x'.repeat(1_025)],
    ['status', 'DELIVERED'],
    ['attachments', 'https://cdn.example/a.jpg'],
    ['attachments', [{ name: 'no url' }]],
    ['participants', [42]],
    ['reply_to', { part_index: -1 }],
    ['reply_to', 'msg_1'],
  ])('names the field of a bad %s (%p)', (field, value) => {
    const errors = errorsOf({ ...delivered, [field]: value });
    expect(errors).toHaveLength(1);
    expect(errors![0].path).toMatch(new RegExp(`^${field}(\\.\\d+)?$`));
  });

  it('requires the chat and the reaction fields where they are needed', () => {
    expect(errorsOf({ ...received, external_id: null })).toEqual([
      { path: 'external_id', message: expect.stringMatching(/required/) },
    ]);
    expect(
      errorsOf({
        event: 'message.reaction',
        message_id: 'm',
        external_id: '+1',
        action: 'like',
      })?.map((e) => e.path),
    ).toEqual(['reaction', 'action']);
  });

  it('reports every problem at once, as a 400 validation problem', () => {
    let thrown: unknown;
    try {
      parseBlooioEvent({ event: 1, message_id: '', timestamp: 'soon' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemException);
    const problem = thrown as ProblemException;
    expect(problem.code).toBe('validation_failed');
    expect(problem.getStatus()).toBe(400);
    expect(problem.problem.errors?.map((e) => e.path)).toEqual([
      'event',
      'message_id',
      'timestamp',
    ]);
  });

  it('answers any JSON value with an event or field errors, never a throw of another kind', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ event: fc.jsonValue(), message_id: fc.jsonValue() }, { requiredKeys: [] }),
        ),
        (body) => {
          const result = validateBlooioEvent(body);
          expect(Boolean(result.event) !== Boolean(result.errors)).toBe(true);
        },
      ),
    );
  });
});
