import { connect } from 'node:net';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { KEYS } from './support/tenants.fixture';

/** Sends bytes as they are (what supertest would refuse to send) and returns the raw answer. */
function rawRequest(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string) {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: JSON.parse(rest.join('\r\n\r\n')) as Record<string, unknown>,
  };
}

describe('HTTP edge (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  let port: number;
  const valid = { recipients: ['+15551234567'], text: 'hi' };

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({ env: { BODY_LIMIT_BYTES: '4096' } });
    await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(await gateway.app.getUrl()).port);
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  describe('a caller without a key is refused before its body is read', () => {
    it.each([
      ['malformed JSON', 'application/json', '{"recipients": ['],
      ['a text body', 'text/plain', 'hello'],
      ['a body over the limit', 'application/json', JSON.stringify({ text: 'x'.repeat(10_000) })],
    ])('401 for %s', async (_name, type, body) => {
      const response = await gateway
        .http()
        .post('/v1/messages')
        .set('content-type', type)
        .send(body)
        .expect(401);
      expect(response.body).toMatchObject({ code: 'unauthenticated' });
    });
  });

  it('answers 405 with Allow for another method on a known path', async () => {
    for (const method of ['get', 'put', 'delete', 'patch'] as const) {
      const response = await gateway
        .http()
        [method]('/v1/messages')
        .set(bearer(KEYS.acmeOrders))
        .expect(405);
      expect(response.headers.allow).toBe('POST');
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'method_not_allowed', status: 405 });
    }
    await gateway.http().get('/v1/nothing-here').expect(404);
  });

  it('accepts a trailing slash', async () => {
    await gateway.http().post('/v1/messages/').set(bearer(KEYS.acmeOrders)).send(valid).expect(202);
  });

  it('answers 405, not 404, for another method on a known path with a trailing slash', async () => {
    const response = await gateway
      .http()
      .get('/v1/messages/?page=1')
      .set(bearer(KEYS.acmeOrders))
      .expect(405);
    expect(response.headers.allow).toBe('POST');
    await gateway.http().get('/v1/nothing-here/').expect(404);
  });

  it.each([
    ['a latin1 charset', { 'content-type': 'application/json; charset=latin1' }],
    ['a UTF-16 charset', { 'content-type': 'application/json; charset=utf-16' }],
    ['a gzip content encoding', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ])('answers 415 for %s, before Blooio', async (_name, headers) => {
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set({ ...bearer(KEYS.acmeOrders), ...headers })
      .send(JSON.stringify(valid))
      .expect(415);
    expect(response.body).toMatchObject({ code: 'unsupported_media_type' });
    expect(gateway.simulator.requests).toHaveLength(0);
  });

  it('accepts an explicit UTF-8 charset', async () => {
    await gateway
      .http()
      .post('/v1/messages')
      .set({ ...bearer(KEYS.acmeOrders), 'content-type': 'application/json; charset=UTF-8' })
      .send(JSON.stringify(valid))
      .expect(202);
  });

  it('refuses bytes that are not UTF-8 as a 400 naming the body', async () => {
    // "café" with é as the single latin1 byte 0xE9, sent as application/json (UTF-8).
    const body = Buffer.concat([
      Buffer.from('{"recipients":["+15551234567"],"text":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    const head = [
      'POST /v1/messages HTTP/1.1',
      'Host: x',
      `Authorization: Bearer ${KEYS.acmeOrders}`,
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    const answer = await rawRequest(port, Buffer.concat([Buffer.from(head), body]));
    const parsed = parseRaw(answer);
    expect(parsed.status).toBe(400);
    expect(parsed.body).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'body', message: 'is not valid UTF-8' }],
    });
    expect(gateway.simulator.requests).toHaveLength(0);
  });

  it('refuses an Idempotency-Key sent twice', async () => {
    const answer = parseRaw(
      await rawRequest(
        port,
        [
          'POST /v1/messages HTTP/1.1',
          'Host: x',
          `Authorization: Bearer ${KEYS.acmeOrders}`,
          'Content-Type: application/json',
          'Idempotency-Key: a',
          'Idempotency-Key: b',
          `Content-Length: ${JSON.stringify(valid).length}`,
          'Connection: close',
          '',
          JSON.stringify(valid),
        ].join('\r\n'),
      ),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'Idempotency-Key', message: 'must be sent once' }],
    });
    // Node joined the two into "a, b": a key nobody chose is not repeated back.
    expect(answer.headers['idempotency-key']).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(0);
  });

  it('answers a malformed URL with problem+json and a request id', async () => {
    const answer = parseRaw(
      await rawRequest(port, 'GET /v1/messages% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({
      code: 'validation_failed',
      requestId: answer.headers['x-request-id'],
      errors: [{ path: 'url', message: expect.any(String) }],
    });
  });

  it.each([
    [
      'a bad Content-Length',
      'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      400,
      'Content-Length',
    ],
    [
      'headers too large',
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers',
    ],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400, 'request'],
  ])('answers %s from the HTTP parser with problem+json', async (_name, request, status, path) => {
    const answer = parseRaw(await rawRequest(port, request));
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({
      code: 'validation_failed',
      status,
      requestId: answer.headers['x-request-id'],
      errors: [{ path, message: expect.any(String) }],
    });
  });
});
