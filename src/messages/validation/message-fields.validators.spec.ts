import { readMessageAt } from '../../problems/field-message';
import { metadataProblem } from './message-fields.validators';

const problem = (value: unknown) => {
  const message = metadataProblem(value);
  return message === undefined ? undefined : readMessageAt(message);
};

describe('metadataProblem', () => {
  it('accepts up to 20 keys of A-Z a-z 0-9 _ . - with strings of up to 500 characters', () => {
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']));
    expect(problem(twenty)).toBeUndefined();
    expect(problem({ 'a.B_c-9': 'x'.repeat(500), ['k'.repeat(40)]: '' })).toBeUndefined();
    // 500 characters, not UTF-16 units: an emoji is one.
    expect(problem({ e: '😀'.repeat(500) })).toBeUndefined();
  });

  it.each([
    [[], undefined, 'must be an object of string values'],
    ['text', undefined, 'must be an object of string values'],
    [{ 'bad key': 'v' }, 'bad key', 'is not a valid key: 1 to 40 of A-Z a-z 0-9 _ . -'],
    [{ '': 'v' }, '', 'is not a valid key: 1 to 40 of A-Z a-z 0-9 _ . -'],
    [
      { ['k'.repeat(41)]: 'v' },
      `${'k'.repeat(40)}…`,
      'is not a valid key: 1 to 40 of A-Z a-z 0-9 _ . -',
    ],
    [{ orderId: 17 }, 'orderId', 'must be a string of at most 500 characters'],
    [{ orderId: null }, 'orderId', 'must be a string of at most 500 characters'],
    [{ note: 'x'.repeat(501) }, 'note', 'must be a string of at most 500 characters'],
  ])('refuses %j, naming %j', (value, subPath, message) => {
    expect(problem(value)).toEqual({ ...(subPath !== undefined && { subPath }), message });
  });

  it('refuses a 21st key', () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect(problem(many)).toEqual({ message: 'must have at most 20 keys' });
  });
});
