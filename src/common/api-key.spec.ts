import { generateApiKey, hashApiKey, parseBearerToken } from './api-key';

describe('generateApiKey', () => {
  it('makes bgw_ keys of 40 base62 characters, never twice the same', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    keys.forEach((key) => expect(key).toMatch(/^bgw_[0-9A-Za-z]{40}$/));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 100 }, generateApiKey).join('').slice(0));
    expect(seen.size).toBeGreaterThanOrEqual(62);
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 hex digest', () => {
    expect(hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('parseBearerToken', () => {
  it.each([
    ['Bearer bgw_abc', 'bgw_abc'],
    ['bearer bgw_abc', 'bgw_abc'],
    ['Bearer   bgw_abc  ', 'bgw_abc'],
  ])('reads %j', (header, token) => expect(parseBearerToken(header)).toBe(token));

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    'bgw_abc',
    'Bearer a b',
    'Bearer ' + 'x'.repeat(600),
  ])('refuses %j', (header) => expect(parseBearerToken(header)).toBeUndefined());
});
