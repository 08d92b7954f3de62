import fc from 'fast-check';
import { Secret } from '../common/secret';
import {
  MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  messageErrorOf,
  upstreamText,
} from './message-error';

const KEY = new Secret('bl_fake_messageErrorSpecKey0123456789');

describe('upstreamText / messageErrorOf', () => {
  it('turns each run of control or invisible characters into one space', () => {
    expect(
      upstreamText('a\r\n\u0000b\u007f\u0085c\u200bd\u2028e\u202ef\u2066g\ufeff', KEY, 100),
    ).toBe('a b c d e f g');
  });

  it('is linear in the text, however long', () => {
    const started = performance.now();
    expect(upstreamText(' '.repeat(300_000) + 'x' + '\n '.repeat(100_000), KEY, 500)).toBe('x');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("scrubs the tenant's Blooio key, whole or in pieces", () => {
    const key = KEY.reveal();
    expect(upstreamText(`bad key ${key}; try ${key.slice(3, 20)}`, KEY, 500)).toBe(
      'bad key [redacted]; try [redacted]',
    );
  });

  it('bounds code and message, and says nothing when nothing is left', () => {
    const error = messageErrorOf({ code: 'c'.repeat(1_000), message: 'm'.repeat(10_000) }, KEY);
    expect(error?.code).toHaveLength(MAX_ERROR_CODE_LENGTH);
    expect(error?.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(messageErrorOf({ code: '\n', message: ' ' }, KEY)).toBeUndefined();
    expect(messageErrorOf({ code: 42, message: null }, KEY)).toBeUndefined();
    expect(messageErrorOf({ message: 'No iMessage' }, KEY)).toEqual({ message: 'No iMessage' });
  });

  it('never keeps the key nor a control character, whatever the text', () => {
    const key = KEY.reveal();
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), fc.string({ maxLength: 50 }), (before, after) => {
        const text = upstreamText(`${before}${key}${after}`, KEY, MAX_ERROR_MESSAGE_LENGTH) ?? '';
        expect(text).not.toContain(key);
        // eslint-disable-next-line no-control-regex
        expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        expect(text.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
      }),
    );
  });
});
