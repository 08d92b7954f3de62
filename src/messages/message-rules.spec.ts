import { plainToInstance } from 'class-transformer';
import { SendMessageDto } from './dto/send-message.dto';
import { crossFieldErrors } from './message-rules';

const dto = (body: object) =>
  plainToInstance(SendMessageDto, { recipients: ['+15551234567'], ...body });

describe('crossFieldErrors', () => {
  it('accepts text, attachments or parts alone', () => {
    expect(crossFieldErrors(dto({ text: 'hi' }))).toEqual([]);
    expect(crossFieldErrors(dto({ attachments: ['https://x.test/a.png'] }))).toEqual([]);
    expect(
      crossFieldErrors(
        dto({
          parts: [
            { text: 'hi', mention: '+15551234567' },
            { url: 'https://x.test/a.png', name: 'a.png' },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('needs some content', () => {
    expect(crossFieldErrors(dto({}))).toEqual([
      { path: 'text', message: 'is required unless attachments or parts are given' },
    ]);
  });

  it("applies Blooio's multipart rules per part", () => {
    expect(
      crossFieldErrors(
        dto({
          parts: [
            { text: 'a', url: 'https://x.test/a' },
            {},
            { url: 'https://x.test/b', mention: '+1555' },
            { text: 'c', name: 'c.txt' },
          ],
        }),
      ),
    ).toEqual([
      { path: 'parts.0', message: 'must have either text or url' },
      { path: 'parts.1', message: 'must have either text or url' },
      { path: 'parts.2.mention', message: 'is only allowed with text' },
      { path: 'parts.3.name', message: 'is only allowed with url' },
    ]);
  });

  it('requires single-URL text parts in URL-balloon batch mode', () => {
    expect(
      crossFieldErrors(
        dto({
          parts: [{ text: 'https://a.test/x', linkPreview: { title: 'A' } }, { text: 'not a url' }],
        }),
      ),
    ).toEqual([{ path: 'parts.1.text', message: expect.stringContaining('single http(s) URL') }]);
  });

  it('refuses an effect with parts, but allows effect none', () => {
    expect(crossFieldErrors(dto({ parts: [{ text: 'a' }], effect: 'slam' }))).toEqual([
      { path: 'effect', message: expect.stringContaining('not supported with parts') },
    ]);
    expect(crossFieldErrors(dto({ parts: [{ text: 'a' }], effect: 'none' }))).toEqual([]);
  });

  it('checks the replyTo shape and where a reply is possible', () => {
    expect(crossFieldErrors(dto({ text: 'a', replyTo: { messageId: 'msg_1' } }))).toEqual([]);
    expect(crossFieldErrors(dto({ text: 'a', replyTo: { guid: 'g', partIndex: 1 } }))).toEqual([]);
    expect(crossFieldErrors(dto({ text: 'a', replyTo: {} }))).toEqual([
      { path: 'replyTo', message: 'must have either messageId or guid' },
    ]);
    expect(crossFieldErrors(dto({ text: 'a', replyTo: { messageId: 'm', guid: 'g' } }))).toEqual([
      { path: 'replyTo', message: 'must have either messageId or guid' },
    ]);
    expect(crossFieldErrors(dto({ text: 'a', replyTo: { messageId: 'm', partIndex: 0 } }))).toEqual(
      [{ path: 'replyTo.partIndex', message: 'is only allowed with guid' }],
    );
    expect(crossFieldErrors(dto({ text: ['a', 'b'], replyTo: { messageId: 'm' } }))).toEqual([
      { path: 'replyTo', message: expect.stringContaining('several messages') },
    ]);
  });
});
