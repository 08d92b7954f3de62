import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { Agent, MockAgent } from 'undici';
import { keepOnlyTransport } from './lean-axios';
import {
  MAX_UPSTREAM_ANSWER_BYTES,
  OriginCache,
  UpstreamAnswerTooLargeError,
  createUndiciAdapter,
} from './undici.adapter';

describe('createUndiciAdapter', () => {
  let agent: MockAgent;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(() => agent.close());

  const client = () => keepOnlyTransport(axios.create({ adapter: createUndiciAdapter(agent) }));

  it('sends the path exactly as encoded, with the given headers and body, and returns text', async () => {
    let seen: { path: string; headers: unknown; body: unknown } | undefined;
    agent
      .get('http://blooio.test:8080')
      .intercept({ path: (path) => path.startsWith('/v2/api/chats/'), method: 'POST' })
      .reply(
        202,
        (options) => {
          seen = { path: options.path, headers: options.headers, body: options.body };
          return '{"message_id":"msg_1"}';
        },
        { headers: { 'retry-after': '3', 'set-cookie': ['a=1', 'b=2'] } },
      );

    const response = await client().request<string>({
      url: 'http://blooio.test:8080/v2/api/chats/%2B15551230000%2Cjo%40example.com/messages',
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      data: '{"text":"hi"}',
    });

    expect(seen?.path).toBe('/v2/api/chats/%2B15551230000%2Cjo%40example.com/messages');
    expect(seen?.headers).toEqual({
      authorization: 'Bearer k',
      'content-type': 'application/json',
    });
    expect(seen?.body).toBe('{"text":"hi"}');
    expect(response.status).toBe(202);
    expect(response.data).toBe('{"message_id":"msg_1"}');
    expect(response.headers['retry-after']).toBe('3');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('resolves for error statuses: the caller decides what is an error', async () => {
    agent.get('http://blooio.test').intercept({ path: '/x', method: 'POST' }).reply(503, 'down');
    const response = await client().request<string>({
      url: 'http://blooio.test/x',
      method: 'POST',
      validateStatus: () => true,
    });
    expect(response.status).toBe(503);
    expect(response.data).toBe('down');
  });

  it('aborts with the signal', async () => {
    agent
      .get('http://blooio.test')
      .intercept({ path: '/slow', method: 'POST' })
      .reply(202, 'late')
      .delay(5_000);
    const abort = new AbortController();
    const sending = client().request({
      url: 'http://blooio.test/slow',
      method: 'POST',
      signal: abort.signal,
    });
    abort.abort();
    await expect(sending).rejects.toMatchObject({ name: 'CanceledError' });
  });
});

describe('OriginCache', () => {
  const cache = new OriginCache();

  it.each([
    ['http://127.0.0.1:3000/v2/api/x', 'http://127.0.0.1:3000', '/v2/api/x'],
    ['https://Backend.Blooio.com/v2/a%2Fb?q=1', 'https://backend.blooio.com', '/v2/a%2Fb?q=1'],
    ['https://backend.blooio.com:443/v2', 'https://backend.blooio.com', '/v2'],
    ['http://host.test', 'http://host.test', '/'],
  ])('%s → origin %s, path %s', (url, origin, path) => {
    expect(cache.split(url)).toEqual({ origin, path });
  });

  it.each(['/relative/path', 'ftp://host.test/x', 'http://user:pass@host.test/x', 'not a url'])(
    'refuses %s',
    (url) => {
      expect(() => cache.split(url)).toThrow(TypeError);
    },
  );
});

describe('keepOnlyTransport', () => {
  it('leaves the adapter and no default headers, transforms or validateStatus', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const instance = keepOnlyTransport(
      axios.create({
        adapter: (config) => {
          seen.push({ headers: config.headers.toJSON(), data: config.data });
          return Promise.resolve({
            data: '{"a":1}',
            status: 500,
            statusText: '',
            headers: {},
            config,
          });
        },
      }),
    );
    expect(Object.keys(instance.defaults).sort()).toEqual(['adapter', 'headers']);

    const response = await instance.request({
      url: 'http://h.test/x',
      method: 'POST',
      headers: { 'x-a': '1' },
      data: '{"b":2}',
    });
    // No Accept/Content-Type defaults added, the body untouched, the answer not parsed or refused.
    expect(seen).toEqual([
      {
        headers: { 'x-a': '1', 'Content-Type': 'application/x-www-form-urlencoded' },
        data: '{"b":2}',
      },
    ]);
    expect(response.data).toBe('{"a":1}');
  });
});

describe('createUndiciAdapter reading answers over a real socket', () => {
  let server: Server;
  let answer: (response: ServerResponse) => void;
  let agent: Agent;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      answer(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  });
  beforeEach(() => (agent = new Agent()));
  afterEach(() => agent.close());
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const get = () =>
    keepOnlyTransport(axios.create({ adapter: createUndiciAdapter(agent) })).request<string>({
      url,
      method: 'POST',
    });
  const chunked = (pieces: string[]) => (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' }); // no length: chunked
    for (const piece of pieces) response.write(piece);
    response.end();
  };

  it('reads a declared length whole, multi-byte characters included', async () => {
    answer = (response) => response.end('{"text":"héllo ✓"}');
    await expect(get()).resolves.toMatchObject({ status: 200, data: '{"text":"héllo ✓"}' });
  });

  it('joins a chunked answer within the cap, a character split across chunks included', async () => {
    const check = Buffer.from('✓');
    answer = (response) => {
      response.writeHead(200);
      response.write('{"a":"');
      response.write(check.subarray(0, 1));
      response.write(check.subarray(1));
      response.end('"}');
    };
    await expect(get()).resolves.toMatchObject({ data: '{"a":"✓"}' });
  });

  it('refuses a chunked answer as soon as it passes the cap', async () => {
    const piece = 'p'.repeat(65_536);
    answer = chunked(
      Array.from({ length: MAX_UPSTREAM_ANSWER_BYTES / piece.length + 1 }, () => piece),
    );
    await expect(get()).rejects.toBeInstanceOf(UpstreamAnswerTooLargeError);
  });

  it('refuses a declared length past the cap unread', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-length': String(MAX_UPSTREAM_ANSWER_BYTES + 1) });
      response.write('{');
    };
    await expect(get()).rejects.toBeInstanceOf(UpstreamAnswerTooLargeError);
  });
});
