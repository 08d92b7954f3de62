import { ProblemException } from '../problems/problem.exception';
import { ObjectPrototypeKeysPipe } from './object-prototype-keys.pipe';

describe('ObjectPrototypeKeysPipe', () => {
  const pipe = new ObjectPrototypeKeysPipe();
  const body = { type: 'body' } as const;

  function errorsOf(value: unknown): unknown {
    try {
      pipe.transform(value, body);
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      return (error as ProblemException).problem.errors;
    }
    return undefined;
  }

  it('passes a body without such keys through as it is', () => {
    const value = { recipients: ['+15551234567'], parts: [{ text: 'a' }], meta: { a: [[1]] } };
    expect(pipe.transform(value, body)).toBe(value);
  });

  it('names every such key, at any depth, with its dotted path', () => {
    expect(
      errorsOf({
        toString: 1,
        replyTo: { valueOf: 2 },
        parts: [{}, { constructor: 'x' }],
        n: [[{ isPrototypeOf: 0 }]],
      }),
    ).toEqual([
      { path: 'toString', message: 'is not a known field' },
      { path: 'replyTo.valueOf', message: 'is not a known field' },
      { path: 'parts.1.constructor', message: 'is not a known field' },
      { path: 'n.0.0.isPrototypeOf', message: 'is not a known field' },
    ]);
  });

  it('leaves other parameters alone', () => {
    expect(pipe.transform({ toString: 1 }, { type: 'custom' })).toEqual({ toString: 1 });
    expect(pipe.transform('constructor', { type: 'query' })).toBe('constructor');
  });
});
