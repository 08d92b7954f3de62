import { chatIdPathSegment } from './chat-id';

describe('chatIdPathSegment', () => {
  it.each([
    ['+15551234567', '%2B15551234567'],
    ['user@example.com', 'user%40example.com'],
    ['grp_abc123', 'grp_abc123'],
    ['+15551234567,+15559876543', '%2B15551234567%2C%2B15559876543'],
  ])('encodes %s as one path segment %s', (chatId, segment) => {
    expect(chatIdPathSegment(chatId)).toBe(segment);
    expect(segment).not.toMatch(/[/?#]/);
  });
});
