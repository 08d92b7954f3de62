import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { EndpointClient, MAX_ANSWER_BYTES } from './endpoint.client';

type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

interface Endpoint {
  url: string;
  received: { method?: string; url?: string; headers: IncomingMessage['headers']; body: Buffer }[];
  close: () => Promise<void>;
}

const servers: { close: () => Promise<void> }[] = [];

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function endpoint(handler: Handler): Promise<Endpoint> {
  const received: Endpoint['received'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: request.method, url: request.url, headers: request.headers, body });
      handler(request, response, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const base = await listen(server);
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  servers.push({ close });
  return { url: `${base}/hooks`, received, close };
}

let client: EndpointClient;
const TIMEOUT_MS = 400;

beforeEach(() => {
  client = new EndpointClient({ timeoutMs: TIMEOUT_MS });
});

afterEach(async () => {
  await client.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const BODY = '{"id":"evt_aaaaaaaaaaaaaaaaaaaaaaaaaa","type":"message.sent","data":{"text":"é"}}';
const HEADERS = {
  'webhook-id': 'evt_aaaaaaaaaaaaaaaaaaaaaaaaaa',
  'webhook-timestamp': '1700000000',
  'webhook-signature': 'v1,c2lnbmF0dXJl',
};

describe('EndpointClient', () => {
  it('POSTs exactly the given bytes with the given headers, and a 2xx is delivered', async () => {
    const target = await endpoint((_request, response) => response.writeHead(204).end());
    const answer = await client.post(target.url, BODY, HEADERS);
    expect(answer).toEqual({ ok: true, status: 204, durationMs: expect.any(Number) });
    expect(target.received).toHaveLength(1);
    const [seen] = target.received;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/hooks');
    expect(seen.body.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
    expect(seen.headers).toMatchObject({
      ...HEADERS,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(BODY)),
    });
  });

  it('answers a non-2xx as a failure naming the status, with no body kept', async () => {
    const target = await endpoint((_request, response) =>
      response.writeHead(500, { 'content-type': 'text/plain' }).end('stack trace with a secret'),
    );
    const answer = await client.post(target.url, BODY, HEADERS);
    expect(answer).toEqual({
      ok: false,
      status: 500,
      error: 'HTTP 500',
      durationMs: expect.any(Number),
    });
  });

  it('keeps Retry-After of a 429 or 503, not of other statuses', async () => {
    let status = 429;
    const target = await endpoint((_request, response) =>
      response.writeHead(status, { 'retry-after': '120' }).end(),
    );
    expect(await client.post(target.url, BODY, HEADERS)).toMatchObject({
      status: 429,
      retryAfter: '120',
    });
    status = 503;
    expect(await client.post(target.url, BODY, HEADERS)).toMatchObject({
      status: 503,
      retryAfter: '120',
    });
    status = 500;
    expect(await client.post(target.url, BODY, HEADERS)).not.toHaveProperty('retryAfter');
  });

  it('never follows a redirect: a 3xx is a failed attempt that says so', async () => {
    const elsewhere = await endpoint((_request, response) => response.writeHead(200).end());
    const target = await endpoint((_request, response) =>
      response.writeHead(302, { location: elsewhere.url }).end(),
    );
    const answer = await client.post(target.url, BODY, HEADERS);
    expect(answer).toEqual({
      ok: false,
      status: 302,
      error: 'redirect not followed (302)',
      durationMs: expect.any(Number),
    });
    expect(elsewhere.received).toHaveLength(0);
  });

  it('cuts an endpoint that never answers at the timeout', async () => {
    const target = await endpoint(() => undefined);
    const started = Date.now();
    const answer = await client.post(target.url, BODY, HEADERS);
    const took = Date.now() - started;
    expect(answer).toEqual({
      ok: false,
      error: `timeout after ${TIMEOUT_MS} ms`,
      durationMs: expect.any(Number),
    });
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(took).toBeLessThan(TIMEOUT_MS + 300);
    expect(answer.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
  });

  it('cuts headers that drip, one byte at a time, at the timeout', async () => {
    const server = createTcpServer((socket) => {
      const head = 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n';
      let i = 0;
      const drip = setInterval(() => {
        if (i < head.length && !socket.destroyed) socket.write(head[i++]);
      }, 100);
      socket.on('close', () => clearInterval(drip));
      socket.on('error', () => undefined);
    });
    const base = await listen(server);
    servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
    const started = Date.now();
    const answer = await client.post(`${base}/hooks`, BODY, HEADERS);
    expect(answer.error).toBe(`timeout after ${TIMEOUT_MS} ms`);
    expect(answer.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 300);
  });

  it('bounds a body that drips by the same deadline, keeping the status that came', async () => {
    let closed = false;
    const target = await endpoint((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      const drip = setInterval(() => response.write('x'), 50);
      response.on('close', () => {
        closed = true;
        clearInterval(drip);
      });
    });
    const started = Date.now();
    const answer = await client.post(target.url, BODY, HEADERS);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 300);
    expect(answer).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    await waitFor(() => closed);
  });

  it('reads at most 64 KiB of a huge answer, then drops the connection', async () => {
    let written = 0;
    let closedEarly = false;
    const chunk = Buffer.alloc(16 * 1024, 'a');
    const target = await endpoint((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (written < 50 * 1024 * 1024) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => (closedEarly = !response.writableFinished));
      pump();
    });
    const answer = await client.post(target.url, BODY, HEADERS);
    expect(answer).toMatchObject({ ok: true, status: 200 });
    await waitFor(() => closedEarly);
    // Socket buffers hold some more, never the 50 MB the endpoint meant to send.
    expect(written).toBeLessThan(8 * 1024 * 1024);
    expect(MAX_ANSWER_BYTES).toBe(65_536);
  });

  it('never makes one endpoint wait for the sockets another one on the same host holds', async () => {
    const target = await endpoint((request, response) => {
      if (request.url === '/hooks?hang') return; // never answers
      response.writeHead(204).end();
    });
    const hung = Array.from({ length: 20 }, () => client.post(`${target.url}?hang`, BODY, HEADERS));
    await waitFor(() => target.received.length === 20);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => client.post(target.url, BODY, HEADERS)),
    );
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    expect((await Promise.all(hung)).every((answer) => answer.error?.startsWith('timeout'))).toBe(
      true,
    );
  });

  it('names a refused connection', async () => {
    const server = createTcpServer();
    const base = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const answer = await client.post(`${base}/hooks`, BODY, HEADERS);
    expect(answer).toEqual({
      ok: false,
      error: 'connection refused',
      durationMs: expect.any(Number),
    });
  });

  it('names a connection reset before the answer', async () => {
    const server = createTcpServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
      socket.on('error', () => undefined);
    });
    const base = await listen(server);
    servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
    const answer = await client.post(`${base}/hooks`, BODY, HEADERS);
    expect(answer.ok).toBe(false);
    expect(answer.error).toMatch(/^connection (reset|closed before an answer)$/);
  });

  it('names a connection closed before the answer', async () => {
    const server = createTcpServer((socket) => {
      socket.once('data', () => socket.end());
      socket.on('error', () => undefined);
    });
    const base = await listen(server);
    servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
    const answer = await client.post(`${base}/hooks`, BODY, HEADERS);
    expect(answer).toEqual({
      ok: false,
      error: 'connection closed before an answer',
      durationMs: expect.any(Number),
    });
  });

  it('never puts the URL or the error message in the error', async () => {
    const answer = await client.post(
      'http://user:hunter2@no-such-host.invalid/hooks?token=abc',
      BODY,
      HEADERS,
    );
    expect(answer.ok).toBe(false);
    expect(answer.error).toMatch(/^(host not found|network error.*|invalid request)$/);
    expect(answer.error).not.toMatch(/hunter2|token|invalid\//);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
