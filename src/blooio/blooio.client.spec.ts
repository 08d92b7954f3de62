import { retryAfterToPassOn, validRetryAfter } from './blooio.client';

describe('validRetryAfter (what the client passes on)', () => {
  it.each([
    ['7', '7'],
    [' 120 ', '120'],
    ['Wed, 21 Oct 2026 07:28:00 GMT', 'Wed, 21 Oct 2026 07:28:00 GMT'],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['99999999999', undefined],
    ['Wed, 21 Oct 2026 07:28:00 +0200', undefined],
    ['2026-10-21T07:28:00Z', undefined],
    ['7\r\nSet-Cookie: a=b', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (given, expected) => {
    expect(validRetryAfter(given)).toBe(expected);
  });
});

describe('retryAfterToPassOn', () => {
  it("passes a valid one on, replaces an invalid one with the gateway's, invents none", () => {
    expect(retryAfterToPassOn('7')).toBe('7');
    expect(retryAfterToPassOn('soon')).toBe('1');
    expect(retryAfterToPassOn('')).toBe('1');
    expect(retryAfterToPassOn(undefined)).toBeUndefined();
  });
});
