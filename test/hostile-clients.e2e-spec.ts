import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BLOOIO_KEYS, KEYS, TEST_TENANT_ENV, testTenantsDocument } from './support/tenants.fixture';
import { distFile, freePort, runNode, type RunningProcess } from './support/process';

/**
 * Hostile clients and a misbehaving upstream against the built gateway (`node dist/main.js`), over
 * raw sockets where a well-behaved HTTP client cannot misbehave: each case ends in a problem+json
 * answer or a closed connection in bounded time, and other callers are served meanwhile.
 */

jest.setTimeout(60_000);

const REQUEST_TIMEOUT_MS = 1_500;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
const BODY_LIMIT_BYTES = 4_096;
const MESSAGE = JSON.stringify({ recipients: ['+15551234567'], text: 'hello' });

/** A stand-in for Blooio: each test says how it answers. */
type Upstream = (request: IncomingMessage, response: ServerResponse) => void;
let upstream: Upstream = (_request, response) => {
  response.writeHead(202, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message_id: 'msg_1', status: 'queued' }));
};
let upstreamServer: Server;
let gateway: RunningProcess;
let port: number;
let dir: string;

async function startGateway(env: Record<string, string> = {}) {
  const gatewayPort = await freePort();
  const run = runNode(distFile('main.js'), [], {
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(gatewayPort),
      TENANTS_FILE: join(dir, 'tenants.json'),
      BLOOIO_BASE_URL: `http://127.0.0.1:${(upstreamServer.address() as { port: number }).port}`,
      BLOOIO_MAX_RETRIES: '0',
      // Many upstream failures in a row here are the point, not a reason to stop calling.
      BLOOIO_BREAKER_THRESHOLD: '1000',
      BLOOIO_TIMEOUT_MS: '5000',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
      SHUTDOWN_DELAY_MS: '0',
      LOG_LEVEL: 'warn',
      ...TEST_TENANT_ENV,
      ...env,
    },
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const live = await fetch(`http://127.0.0.1:${gatewayPort}/health/live`).catch(() => undefined);
    if (live?.status === 200) return { run, port: gatewayPort };
    if (run.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the gateway did not start:\n${run.stdout()}\n${run.stderr()}`);
    }
    await sleep(50);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bgw-hostile-'));
  writeFileSync(join(dir, 'tenants.json'), JSON.stringify(testTenantsDocument()));
  upstreamServer = createServer((request, response) => upstream(request, response));
  await new Promise<void>((resolve) => upstreamServer.listen(0, '127.0.0.1', resolve));
  ({ run: gateway, port } = await startGateway());
});

afterAll(async () => {
  if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
  await gateway?.exited;
  upstreamServer?.closeAllConnections();
  await new Promise((resolve) => upstreamServer?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface RawAnswer {
  /** Everything the gateway wrote before the connection closed. */
  text: string;
  /** ms from connect to close. */
  closedAfterMs: number;
  error?: string;
}

/** Opens a connection, lets `drive` write to it, and collects what comes back until it closes. */
function rawExchange(
  drive: (socket: Socket) => void,
  options: { port?: number; giveUpMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(options.port ?? port, '127.0.0.1', () => drive(socket));
    let text = '';
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ text, closedAfterMs: Date.now() - started, error });
    });
    const giveUp = setTimeout(() => socket.destroy(), options.giveUpMs ?? 20_000);
  });
}

/** The first HTTP answer in `text`: status, headers and the JSON body. */
function parseAnswer(text: string) {
  const end = text.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  const length = Number(headers['content-length']);
  const body = text.slice(end + 4, end + 4 + length);
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: JSON.parse(body) as Record<string, unknown> & { errors?: unknown[] },
  };
}

function expectProblemAnswer(text: string, status: number, code: string) {
  const answer = parseAnswer(text);
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code, requestId: answer.headers['x-request-id'] });
  return answer;
}

/** Writes `bytes` one at a time, `everyMs` apart, until the socket closes. */
function trickle(socket: Socket, bytes: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded || at >= bytes.length) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes[at]);
    at += 1;
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

/** While `work` runs, /health/live is asked every 100 ms: each answer's status and latency. */
async function othersServedDuring(work: Promise<unknown>) {
  const answers: { status: number; ms: number }[] = [];
  let done = false;
  void work.finally(() => (done = true));
  while (!done) {
    const started = Date.now();
    const response = await fetch(`http://127.0.0.1:${port}/health/live`);
    answers.push({ status: response.status, ms: Date.now() - started });
    await sleep(100);
  }
  await work;
  return answers;
}

const postHead = (headers: string[]) =>
  ['POST /v1/messages HTTP/1.1', 'Host: gateway', ...headers, '', ''].join('\r\n');

describe('slow clients (REQUEST_TIMEOUT_MS)', () => {
  it.each([
    ['with a valid key', [`Authorization: Bearer ${KEYS.acmeOrders}`]],
    ['with an unknown key', ['Authorization: Bearer bgw_nobody']],
  ])('a body trickled a byte at a time %s is cut in bounded time', async (_name, auth) => {
    const exchange = rawExchange((socket) => {
      socket.write(
        postHead([...auth, 'Content-Type: application/json', `Content-Length: ${MESSAGE.length}`]),
      );
      trickle(socket, MESSAGE, 400);
    });
    const others = await othersServedDuring(exchange);
    const answer = await exchange;

    // Cut well before the trickle would have finished (MESSAGE.length × 400 ms ≈ 20 s).
    expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    if (auth[0].includes(KEYS.acmeOrders)) {
      expectProblemAnswer(answer.text, 408, 'request_timeout');
    } else {
      // Refused before its body was read; the rest of the body is then cut without a second answer.
      expectProblemAnswer(answer.text, 401, 'unauthenticated');
      expect(answer.text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    }
    expect(others.length).toBeGreaterThan(3);
    expect(others.every((other) => other.status === 200)).toBe(true);
  });

  it('trickled headers get a 408 problem in bounded time', async () => {
    const exchange = rawExchange((socket) =>
      trickle(
        socket,
        'GET /health/live HTTP/1.1\r\nHost: gateway\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa',
        300,
      ),
    );
    const others = await othersServedDuring(exchange);
    const answer = await exchange;
    expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    expectProblemAnswer(answer.text, 408, 'request_timeout');
    expect(others.every((other) => other.status === 200)).toBe(true);
  });

  it('a connection that never sends a byte is closed, without an answer', async () => {
    const answer = await rawExchange(() => undefined);
    expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    expect(answer.text).toBe('');
  });

  it('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const answer = await rawExchange((socket) =>
      socket.write('GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n'),
    );
    expect(parseAnswer(answer.text).status).toBe(200);
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 100);
    expect(answer.closedAfterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 5_000);
  });
});

describe('malformed requests', () => {
  it.each([
    ['no Host', 'GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n', 'is required'],
    [
      'two Host headers',
      'GET /health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n',
      'must be sent once',
    ],
  ])('%s is a 400 problem naming Host (RFC 9112 §3.2)', async (_name, request, message) => {
    const answer = await rawExchange((socket) => socket.write(request));
    const parsed = expectProblemAnswer(answer.text, 400, 'validation_failed');
    expect(parsed.body.errors).toEqual([{ path: 'Host', message }]);
  });

  it('an HTTP/1.0 request may leave Host out', async () => {
    const answer = await rawExchange((socket) => socket.write('GET /health/live HTTP/1.0\r\n\r\n'));
    expect(parseAnswer(answer.text).status).toBe(200);
  });

  it('an oversized chunked body gets its 413 problem, read while the client still sends', async () => {
    const chunk = Buffer.alloc(16_384, 'a');
    const answer = await rawExchange((socket) => {
      socket.write(
        postHead([
          `Authorization: Bearer ${KEYS.acmeOrders}`,
          'Content-Type: application/json',
          'Transfer-Encoding: chunked',
        ]),
      );
      // 256 KiB, 64 times the limit, as fast as the socket takes it.
      let sent = 0;
      const pump = () => {
        while (sent < 16) {
          sent += 1;
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          if (!socket.write('\r\n')) return void socket.once('drain', pump);
        }
        socket.end('0\r\n\r\n');
      };
      pump();
    });
    const parsed = expectProblemAnswer(answer.text, 413, 'payload_too_large');
    expect(parsed.body.detail).toContain(`at most ${BODY_LIMIT_BYTES} bytes`);
  });

  it.each([
    ['text/plain', 'hello', 415, 'send Content-Type: application/json'],
    [
      'application/json',
      'x'.repeat(BODY_LIMIT_BYTES + 1),
      413,
      `at most ${BODY_LIMIT_BYTES} bytes`,
    ],
    ['application/json', '{"recipients": [\n  "+15551234567",\n  }', 400, 'line 3, column 3'],
  ])(
    'case %#: a %s body is answered with a detail that says the fix',
    async (type, body, status, says) => {
      const response = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.acmeOrders}`, 'content-type': type },
        body,
      });
      expect(response.status).toBe(status);
      const problem = (await response.json()) as { detail: string };
      expect(problem.detail).toContain(says);
    },
  );
});

describe('expensive bodies', () => {
  /** Server time of one refused body: its answer's latency, the median of five. */
  async function costOf(body: string): Promise<{ ms: number; status: number; size: number }> {
    const runs: { ms: number; status: number; size: number }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = process.hrtime.bigint();
      const response = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.acmeOrders}`, 'content-type': 'application/json' },
        body,
      });
      const text = await response.text();
      runs.push({
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        status: response.status,
        size: text.length,
      });
    }
    return runs.sort((a, b) => a.ms - b.ms)[2];
  }

  let big: RunningProcess;
  let bigPort: number;
  beforeAll(async () => {
    ({ run: big, port: bigPort } = await startGateway({ BODY_LIMIT_BYTES: '262144' }));
  });
  afterAll(async () => {
    big.child.kill('SIGKILL');
    await big.exited;
  });

  it('20,000 unknown fields cost about what a refused body of the same size does', async () => {
    const fields: Record<string, unknown> = { recipients: ['+15551234567'], text: 'hi' };
    for (let i = 0; i < 20_000; i += 1) fields[`f${i}`] = 1;
    const hostile = JSON.stringify(fields);
    // The same bytes as one unknown string field: the cheapest body the parser still reads whole.
    const plain = JSON.stringify({
      recipients: ['+15551234567'],
      text: 'x'.repeat(hostile.length - 60),
    });
    const saved = port;
    port = bigPort;
    try {
      const plainCost = await costOf(plain);
      const hostileCost = await costOf(hostile);
      process.stdout.write(
        `expensive body: 20,000 unknown fields ${hostileCost.ms.toFixed(1)} ms vs plain ${plainCost.ms.toFixed(1)} ms (median of 5)\n`,
      );
      expect(hostileCost.status).toBe(400);
      expect(hostileCost.size).toBeLessThan(4_096);
      // Before the value cap: more than 100 times the plain body's cost (seconds of event loop).
      expect(hostileCost.ms).toBeLessThan(plainCost.ms * 5 + 50);
    } finally {
      port = saved;
    }
  });

  it('lists at most 20 field errors, with truncated: true, in a bounded answer', async () => {
    const fields: Record<string, unknown> = { recipients: ['+15551234567'], text: 'hi' };
    for (let i = 0; i < 300; i += 1) fields[`${'k'.repeat(500)}${i}`] = 1;
    const response = await fetch(`http://127.0.0.1:${bigPort}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.acmeOrders}`, 'content-type': 'application/json' },
      body: JSON.stringify(fields),
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    const problem = JSON.parse(text) as {
      errors: { path: string }[];
      truncated?: boolean;
      detail: string;
    };
    expect(problem.errors).toHaveLength(20);
    expect(problem.truncated).toBe(true);
    expect(problem.detail).toMatch(/and 280 more$/);
    expect(problem.errors.every((error) => error.path.length <= 201)).toBe(true);
    expect(text.length).toBeLessThan(16_384);
  });
});

describe('a misbehaving upstream', () => {
  const send = () =>
    fetch(`http://127.0.0.1:${port}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.acmeOrders}`, 'content-type': 'application/json' },
      body: MESSAGE,
    });

  /**
   * Answers `status` with a valid JSON body of about `size` bytes (Blooio's fields, then padding),
   * written in 64 KiB pieces; `finished` says whether the gateway read all of it.
   */
  let finished = false;
  const huge =
    (status: number, size: number, declareLength: boolean): Upstream =>
    (request, response) => {
      request.resume();
      finished = false;
      const head = Buffer.from(
        status < 300
          ? '{"message_id":"msg_big","status":"queued","pad":"'
          : '{"error":"Internal","status":500,"message":"boom","pad":"',
      );
      const tail = Buffer.from('"}');
      const piece = Buffer.alloc(65_536, 'p');
      const pieces = Math.ceil(size / piece.length);
      response.writeHead(status, {
        'content-type': 'application/json',
        ...(declareLength && {
          'content-length': String(head.length + pieces * piece.length + tail.length),
        }),
      });
      response.on('error', () => undefined);
      response.on('finish', () => (finished = true));
      response.write(head);
      let written = 0;
      const pump = () => {
        while (written < pieces) {
          written += 1;
          if (!response.write(piece)) return void response.once('drain', pump);
        }
        response.end(tail);
      };
      pump();
    };

  it.each([
    ['a 2xx', 202, true],
    ['a 2xx without Content-Length', 202, false],
    ['an error', 500, false],
  ])(
    '%s answer of 8 MB (valid JSON) is upstream_error, read no further than the cap',
    async (_name, status, declared) => {
      upstream = huge(status, 8 * 1_048_576, declared);
      const response = await send();
      expect(response.status).toBe(502);
      const problem = (await response.json()) as { code: string; upstream: object };
      // No `message`: the error body was not read (it would be, were it under the cap).
      expect(problem).toMatchObject({ code: 'upstream_error' });
      expect(problem.upstream).toEqual({ status });
      await sleep(200);
      expect(finished).toBe(false);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    },
  );

  it('an error message of a 900 KB token run is scrubbed of the key and cut to 1,000 characters', async () => {
    const run = `${'A'.repeat(450)}${BLOOIO_KEYS.acme.slice(2, 20)}${'B'.repeat(900_000)}`;
    upstream = (request, response) => {
      request.resume();
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'x', status: 500, message: `key ${run} refused` }));
    };
    const response = await send();
    expect(response.status).toBe(502);
    const problem = (await response.json()) as { upstream: { message: string } };
    expect(problem.upstream.message).toBe('key [redacted]');
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
  });

  it.each([
    ['delay-seconds', '7', '7'],
    ['an HTTP-date', 'Wed, 21 Oct 2026 07:28:00 GMT', 'Wed, 21 Oct 2026 07:28:00 GMT'],
    ['a word', 'soon', '1'],
    ['a negative number', '-5', '1'],
    ['an ISO date', '2026-10-21T07:28:00Z', '1'],
  ])("Blooio's Retry-After as %s (%j) is answered as %j", async (_name, given, answered) => {
    upstream = (request, response) => {
      request.resume();
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': given });
      response.end(
        JSON.stringify({ error: 'Too many', status: 429, code: 'outbound_limit_reached' }),
      );
    };
    const response = await send();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe(answered);
  });
});

describe('shutdown', () => {
  it('/health/live answers 200 while shutting down, never 500', async () => {
    let release: () => void = () => undefined;
    upstream = (request, response) => {
      request.resume();
      release = () => {
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message_id: 'msg_2', status: 'queued' }));
      };
    };
    const { run, port: closingPort } = await startGateway({ REQUEST_TIMEOUT_MS: '10000' });
    try {
      // A send held upstream keeps the server closing; a probe whose headers were begun before
      // SIGTERM (so its connection is not idle, and stays open) ends them after it.
      const held = rawExchange(
        (socket) =>
          socket.write(
            postHead([
              `Authorization: Bearer ${KEYS.acmeOrders}`,
              'Content-Type: application/json',
              `Content-Length: ${MESSAGE.length}`,
            ]) + MESSAGE,
          ),
        { port: closingPort },
      );
      const probe = rawExchange(
        (socket) => {
          socket.write('GET /health/live HTTP/1.1\r\nHost: gateway\r\n');
          void (async () => {
            await sleep(500);
            run.child.kill('SIGTERM');
            await sleep(1_000);
            socket.write('\r\n');
          })();
        },
        { port: closingPort },
      );
      const probed = parseAnswer((await probe).text);
      release();
      expect(probed.status).toBe(200);
      expect(probed.body).toMatchObject({ status: 'ok' });
      expect(parseAnswer((await held).text).status).toBe(202);
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
