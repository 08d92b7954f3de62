import { plainToInstance } from 'class-transformer';
import { fromBlooioSendMessageResponse, toBlooioSendMessageRequest } from './blooio-message.mapper';
import { SendMessageDto } from './dto/send-message.dto';

describe('toBlooioSendMessageRequest', () => {
  it('maps every field to its snake_case Blooio name', () => {
    const dto = plainToInstance(SendMessageDto, {
      recipients: ['+15551234567'],
      text: ['one', 'two'],
      attachments: ['https://x.test/a.png', { url: 'https://x.test/b.pdf', name: 'b.pdf' }],
      parts: [
        {
          text: 'https://x.test',
          mention: '+15551234567',
          linkPreview: { imageUrl: 'https://x.test/i.png', title: 'T' },
        },
      ],
      effect: 'confetti',
      replyTo: { guid: 'G-1', partIndex: 2 },
      typingIndicator: true,
      linkPreview: { imageUrl: 'https://x.test/h.png', title: 'Hero' },
      shareContact: false,
    });
    expect(toBlooioSendMessageRequest(dto, '+15550001111')).toEqual({
      text: ['one', 'two'],
      attachments: ['https://x.test/a.png', { url: 'https://x.test/b.pdf', name: 'b.pdf' }],
      parts: [
        {
          text: 'https://x.test',
          mention: '+15551234567',
          link_preview: { image_url: 'https://x.test/i.png', title: 'T' },
        },
      ],
      from_number: '+15550001111',
      use_typing_indicator: true,
      share_contact: false,
      effect: 'confetti',
      reply_to: { guid: 'G-1', part_index: 2 },
      link_preview: { image_url: 'https://x.test/h.png', title: 'Hero' },
    });
  });

  it('leaves absent and null fields out', () => {
    const dto = plainToInstance(SendMessageDto, {
      recipients: ['+15551234567'],
      text: 'hi',
      effect: null,
      replyTo: { messageId: 'msg_1' },
    });
    expect(toBlooioSendMessageRequest(dto, undefined)).toEqual({
      text: 'hi',
      reply_to: { message_id: 'msg_1' },
    });
  });
});

describe('fromBlooioSendMessageResponse', () => {
  it("maps Blooio's answer to camelCase and adds the gateway's own fields", () => {
    expect(
      fromBlooioSendMessageResponse(
        {
          message_id: 'msg_1',
          status: 'queued',
          group_id: 'grp_1',
          group_created: true,
          participants: ['+15551234567', '+15559876543'],
        },
        { chatId: '+15551234567,+15559876543', sender: '+15550001111', idempotencyKey: 'k1' },
      ),
    ).toEqual({
      messageId: 'msg_1',
      status: 'queued',
      chatId: '+15551234567,+15559876543',
      groupId: 'grp_1',
      groupCreated: true,
      participants: ['+15551234567', '+15559876543'],
      sender: '+15550001111',
      idempotencyKey: 'k1',
    });
  });

  it('leaves out what Blooio did not send, or sent malformed', () => {
    const body = {
      message_ids: ['a', 2],
      count: 1.5,
      parent_unresolved: 'yes',
      extra: 'x',
    } as never;
    expect(fromBlooioSendMessageResponse(body, { chatId: 'grp_1' })).toEqual({ chatId: 'grp_1' });
  });
});
