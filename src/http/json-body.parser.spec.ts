import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import {
  exceedsJsonDepth,
  exceedsValueCount,
  registerJsonBodyParser,
  syntaxError,
} from './json-body.parser';

describe('exceedsJsonDepth', () => {
  it.each([
    ['{}', 1, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 4, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 3, true],
    ['[[[[[]]]]]', 4, true],
  ])('%s within %i levels exceeds: %s', (text, limit, expected) => {
    expect(exceedsJsonDepth(text, limit)).toBe(expected);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth('{"text":"[[[[{{{{ \\" [[[[ "}', 1)).toBe(false);
  });

  it('scans a very deep body without recursion', () => {
    expect(exceedsJsonDepth('['.repeat(1_000_000), 32)).toBe(true);
  });
});

describe('exceedsValueCount', () => {
  it('counts fields and items at every depth', () => {
    const body = { a: 1, b: [1, 2, { c: 3 }], d: { e: { f: null } } };
    // a, b, d; 1, 2, {c}; c; e; f
    expect(exceedsValueCount(body, 9)).toBe(false);
    expect(exceedsValueCount(body, 8)).toBe(true);
  });

  it('stops at the limit without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(exceedsValueCount(deep, 10)).toBe(true);
  });
});

describe('syntaxError', () => {
  const messageOf = (text: string) => {
    const error = syntaxError(text, new Error('Body is not valid JSON'));
    return (error as ProblemException).problem.errors?.[0].message;
  };

  it.each([
    ['{"recipients": [\n  "a",\n  }', 'a value expected at line 3, column 3 (offset 26)'],
    ['{"a":1', "'}' expected at line 1, column 7 (offset 6)"],
    ["{'a':1}", 'unexpected character at line 1, column 2 (offset 1)'],
    ['{"a":1} x', 'unexpected character at line 1, column 9 (offset 8)'],
  ])('says where %j breaks', (text, where) => {
    expect(messageOf(text)).toBe(`is not valid JSON: ${where}`);
  });
});

describe('registerJsonBodyParser on a rawBody route', () => {
  async function app() {
    const fastify = Fastify({ bodyLimit: 64 });
    registerJsonBodyParser(fastify);
    const seen: { rawBody?: string; body: unknown; readBody: boolean }[] = [];
    const handler = (request: FastifyRequest) => {
      seen.push({
        rawBody: request.rawBody?.toString('utf8'),
        body: request.body,
        readBody: typeof request.readBody === 'function',
      });
      return { read: request.url === '/raw-read' ? request.readBody?.() : undefined };
    };
    fastify.post('/raw', { config: { rawBody: true } }, handler);
    fastify.post('/raw-read', { config: { rawBody: true } }, handler);
    fastify.post('/plain', handler);
    await fastify.ready();
    return { fastify, seen };
  }
  const post = (fastify: FastifyInstance, url: string, payload: string) =>
    fastify.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload,
    });

  afterEach(() => jest.restoreAllMocks());

  it('keeps the exact bytes and parses them only when the route asks', async () => {
    const { fastify, seen } = await app();
    const text = '{ "event" :"message.sent" }';
    const parse = jest.spyOn(JSON, 'parse');
    expect((await post(fastify, '/raw', text)).statusCode).toBe(200);
    expect(seen).toEqual([{ rawBody: text, body: undefined, readBody: true }]);
    // Nothing parsed the body: the route did not ask (a forged webhook is never parsed).
    expect(parse.mock.calls.filter(([arg]) => arg === text)).toEqual([]);
    const read = await post(fastify, '/raw-read', text);
    expect(read.json()).toEqual({ read: { event: 'message.sent' } });
  });

  it('never decodes, scans nor parses a malformed or deep body the route does not read', async () => {
    const { fastify, seen } = await app();
    const parse = jest.spyOn(JSON, 'parse');
    for (const text of ['{"event":', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', '{"a":1}']) {
      expect((await post(fastify, '/raw', text)).statusCode).toBe(200);
    }
    expect(seen.map((s) => s.body)).toEqual([undefined, undefined, undefined]);
    expect(parse).not.toHaveBeenCalled();
  });

  it('throws the 400 from readBody when the route reads a body that is not a JSON object', async () => {
    const { fastify } = await app();
    const answer = await post(fastify, '/raw-read', '{"event":');
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'validation_failed' });
    // Other routes refuse it at once, as before.
    expect((await post(fastify, '/plain', '{"event":')).statusCode).toBe(400);
  });

  it('still applies the body limit to the raw bytes', async () => {
    const { fastify, seen } = await app();
    expect(
      (await post(fastify, '/raw', JSON.stringify({ text: 'x'.repeat(100) }))).statusCode,
    ).toBe(413);
    expect(seen).toEqual([]);
  });
});
