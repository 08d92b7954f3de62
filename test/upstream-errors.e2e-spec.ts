import { expectProblem } from './support/problem';
import { createServer } from 'node:net';
import type { Response } from 'supertest';
import type { SimulatedFault } from '../src/sandbox/blooio-simulator';
import { SIMULATOR_MAGIC_NUMBERS } from '../src/sandbox/blooio-simulator';
import {
  bearer,
  startGateway,
  startGatewayWithSimulator,
  type TestGateway,
} from './support/gateway';
import { BLOOIO_KEYS, KEYS, testTenantsDocument } from './support/tenants.fixture';

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

const MAGIC = SIMULATOR_MAGIC_NUMBERS;
const BODY = { recipients: ['+15551234567'], text: 'hello' };

/** Blooio's error body shape. */
const blooioError = (status: number, message: string, code?: string) => ({
  error: 'ApiError',
  message,
  status,
  ...(code !== undefined && { code }),
});

/**
 * The answer is a problem+json for `code`, with the request id, no field errors, no stack trace,
 * and nothing that would let a caller learn the tenant's Blooio key or where Blooio lives.
 */
function expectUpstreamProblem(
  response: Response,
  status: number,
  code: string,
  upstreamBaseUrl: string,
): void {
  expectProblem(response, status, code);
  expect(response.body.errors).toBeUndefined();
  expectNothingSecret(response, upstreamBaseUrl);
}

function expectNothingSecret(response: Response, upstreamBaseUrl: string): void {
  const everything = `${JSON.stringify(response.headers)}\n${response.text}`;
  for (const key of Object.values(BLOOIO_KEYS)) expect(everything).not.toContain(key);
  expect(everything).not.toContain('Bearer');
  expect(everything).not.toContain('    at ');
  const { host, port } = new URL(upstreamBaseUrl);
  expect(everything).not.toContain(upstreamBaseUrl);
  expect(everything).not.toContain(host);
  expect(everything).not.toContain(`:${port}`);
  expect(everything).not.toContain('/v2/api');
}

describe('Blooio errors (e2e)', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    // One fault, one attempt, one answer: retries and the breaker have their own suite (delivery).
    gateway = await startGatewayWithSimulator({
      env: { BLOOIO_MAX_RETRIES: '0', BLOOIO_BREAKER_THRESHOLD: '1000' },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  const send = (body: object = BODY, key: string = KEYS.acmeOrders) =>
    gateway.http().post('/v1/messages').set(bearer(key)).send(body);
  const expectProblem = (response: Response, status: number, code: string) =>
    expectUpstreamProblem(response, status, code, gateway.simulator.baseUrl);

  describe('refusals: upstream_rejected', () => {
    it.each<[string, SimulatedFault, number, Record<string, unknown>]>([
      [
        '400 with a code (→ 422)',
        {
          status: 400,
          body: blooioError(400, 'The reply target is too old', 'reply_target_expired'),
        },
        422,
        { status: 400, code: 'reply_target_expired', message: 'The reply target is too old' },
      ],
      [
        '400 without a code (→ 422)',
        { status: 400, body: blooioError(400, 'text is malformed') },
        422,
        { status: 400, message: 'text is malformed' },
      ],
      [
        '402 (→ 402)',
        { status: 402, body: blooioError(402, 'Plan limit reached', 'payment_required') },
        402,
        { status: 402, code: 'payment_required', message: 'Plan limit reached' },
      ],
      [
        '403 (→ 403)',
        {
          status: 403,
          body: blooioError(403, 'Inbound-only plan', 'inbound_only_no_prior_inbound'),
        },
        403,
        { status: 403, code: 'inbound_only_no_prior_inbound', message: 'Inbound-only plan' },
      ],
      [
        '404 (→ 404)',
        { status: 404, body: blooioError(404, 'Chat not found', 'chat_not_found') },
        404,
        { status: 404, code: 'chat_not_found', message: 'Chat not found' },
      ],
      [
        '409 (→ 409)',
        { status: 409, body: blooioError(409, 'Conflicting send', 'conflict') },
        409,
        { status: 409, code: 'conflict', message: 'Conflicting send' },
      ],
    ])('maps Blooio %s to upstream_rejected', async (_case, fault, status, upstream) => {
      gateway.simulator.enqueueFault(fault);
      const response = await send();
      expectProblem(response, status, 'upstream_rejected');
      expect(response.body.upstream).toEqual(upstream);
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps the 400 attachment_first_message_not_allowed magic number to 422', async () => {
      const response = await send({
        recipients: [MAGIC.attachmentFirstMessage],
        attachments: ['https://cdn.example.com/a.png'],
      });
      expectProblem(response, 422, 'upstream_rejected');
      expect(response.body.upstream).toEqual({
        status: 400,
        code: 'attachment_first_message_not_allowed',
        message: expect.any(String),
      });
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps the 403 inbound_only_no_prior_inbound magic number to 403', async () => {
      const response = await send({ recipients: [MAGIC.inboundOnly], text: 'hi' });
      expectProblem(response, 403, 'upstream_rejected');
      expect(response.body.upstream).toMatchObject({
        status: 403,
        code: 'inbound_only_no_prior_inbound',
      });
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps a 400 whose body is not JSON to 422 with only the status', async () => {
      gateway.simulator.enqueueFault({ status: 400, raw: 'Bad Request' });
      const response = await send();
      expectProblem(response, 422, 'upstream_rejected');
      expect(response.body.upstream).toEqual({ status: 400 });
    });

    it("does not pass Blooio's own response headers on", async () => {
      gateway.simulator.enqueueFault({
        status: 404,
        body: blooioError(404, 'Chat not found'),
        headers: { 'x-blooio-debug': 'upstream-host-1' },
      });
      const response = await send();
      expectProblem(response, 404, 'upstream_rejected');
      expect(response.headers['x-blooio-debug']).toBeUndefined();
    });
  });

  describe("Blooio refuses the tenant's key: upstream_auth_failed", () => {
    it('maps a 401 to 502 upstream_auth_failed', async () => {
      gateway.simulator.enqueueFault({ status: 401, body: blooioError(401, 'Invalid API key') });
      const response = await send();
      expectProblem(response, 502, 'upstream_auth_failed');
      expect(response.body.upstream).toEqual({ status: 401, message: 'Invalid API key' });
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('answers 502 for initech, whose Blooio key the simulator refuses', async () => {
      const response = await send(BODY, KEYS.initech);
      expectProblem(response, 502, 'upstream_auth_failed');
      expect(response.body.upstream).toMatchObject({ status: 401 });
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(1);
      expect(gateway.simulator.requests[0].headers.authorization).toBe(
        `Bearer ${BLOOIO_KEYS.broken}`,
      );
    });
  });

  describe('rate limits: upstream_rate_limited', () => {
    it('maps the outbound_limit_reached magic number to 429, without an invented Retry-After', async () => {
      const response = await send({ recipients: [MAGIC.outboundLimitReached], text: 'hi' });
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.body.upstream).toEqual({
        status: 429,
        code: 'outbound_limit_reached',
        message: expect.any(String),
      });
      expect(response.headers['retry-after']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps a coded new_conversation_limit_reached 429 and passes Retry-After on', async () => {
      gateway.simulator.enqueueFault({
        status: 429,
        body: blooioError(429, 'New conversation limit reached', 'new_conversation_limit_reached'),
        headers: { 'retry-after': '30' },
      });
      const response = await send();
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.body.upstream).toEqual({
        status: 429,
        code: 'new_conversation_limit_reached',
        message: 'New conversation limit reached',
      });
      expect(response.headers['retry-after']).toBe('30');
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps a plain 429 (rateLimited magic number) and passes its Retry-After on', async () => {
      const response = await send({ recipients: [MAGIC.rateLimited], text: 'hi' });
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.body.upstream).toEqual({ status: 429, message: 'Too many requests' });
      expect(response.body.upstream.code).toBeUndefined();
      expect(response.headers['retry-after']).toBe('1');
    });

    it('passes on an HTTP-date Retry-After as given', async () => {
      const date = new Date(Date.now() + 60_000).toUTCString();
      gateway.simulator.enqueueFault({
        status: 429,
        body: blooioError(429, 'Slow down'),
        headers: { 'retry-after': date },
      });
      const response = await send();
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.headers['retry-after']).toBe(date);
    });

    it('passes on one Retry-After when Blooio sent it twice', async () => {
      gateway.simulator.enqueueFault({
        status: 429,
        body: blooioError(429, 'Slow down', 'outbound_limit_reached'),
        headers: { 'retry-after': ['30', '60'] },
      });
      const response = await send();
      expectProblem(response, 429, 'upstream_rate_limited');
      // Node's client keeps only the first of repeated Retry-After lines: count the raw ones.
      const raw = (response as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
      expect(raw.filter((name) => name.toLowerCase() === 'retry-after')).toHaveLength(1);
      expect(response.headers['retry-after']).toBe('30');
    });

    it('maps a plain 429 without Retry-After and adds none', async () => {
      gateway.simulator.enqueueFault({ status: 429, body: blooioError(429, 'Slow down') });
      const response = await send();
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.headers['retry-after']).toBeUndefined();
    });
  });

  describe('Blooio down or broken', () => {
    it('maps the noActiveNumber 503 to 503 upstream_unavailable', async () => {
      const response = await send({ recipients: [MAGIC.noActiveNumber], text: 'hi' });
      expectProblem(response, 503, 'upstream_unavailable');
      expect(response.body.upstream).toEqual({
        status: 503,
        message: 'No active number available',
      });
    });

    it('maps an injected 503 to 503 upstream_unavailable', async () => {
      gateway.simulator.enqueueFault({ status: 503, body: blooioError(503, 'Maintenance') });
      const response = await send();
      expectProblem(response, 503, 'upstream_unavailable');
      expect(response.body.upstream).toEqual({ status: 503, message: 'Maintenance' });
    });

    it.each([500, 502, 504])('maps a Blooio %s to 502 upstream_error', async (status) => {
      gateway.simulator.enqueueFault({ status, body: blooioError(status, 'Simulated fault') });
      const response = await send();
      expectProblem(response, 502, 'upstream_error');
      expect(response.body.upstream).toEqual({ status, message: 'Simulated fault' });
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps a 500 with an HTML body to 502 without echoing the body', async () => {
      gateway.simulator.enqueueFault({
        status: 500,
        raw: `<html><pre>Error: Authorization: Bearer ${BLOOIO_KEYS.acme} at /srv/app.js</pre></html>`,
      });
      const response = await send();
      expectProblem(response, 502, 'upstream_error');
      expect(response.text).not.toContain('<html>');
      expect(response.text).not.toContain('/srv/app.js');
    });

    it.each<[string, SimulatedFault]>([
      ['a 202 with a text body', { status: 202, raw: 'OK' }],
      ['a 202 with an empty body', { status: 202, raw: '' }],
      ['a 200 with an HTML body', { status: 200, raw: '<html>maintenance</html>' }],
      ['a 202 with a JSON array', { status: 202, body: [{ message_id: 'msg_1' }] }],
      ['a 202 with a JSON string', { status: 202, body: 'queued' }],
    ])('maps %s (unreadable) to 502 upstream_error', async (_case, fault) => {
      gateway.simulator.enqueueFault(fault);
      const response = await send();
      expectProblem(response, 502, 'upstream_error');
      expect(response.text).not.toContain('maintenance');
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('maps a connection reset to 502 upstream_error, without an upstream summary', async () => {
      gateway.simulator.enqueueFault({ reset: true });
      const response = await send();
      expectProblem(response, 502, 'upstream_error');
      expect(response.body.upstream).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(1);
    });

    it('uses one fault for one attempt: the next send succeeds', async () => {
      gateway.simulator.enqueueFault({ status: 500, body: blooioError(500, 'Simulated fault') });
      expectProblem(await send(), 502, 'upstream_error');
      const next = await send();
      expect(next.status).toBe(202);
      expect(next.body.messageId).toMatch(/^msg_/);
      expect(gateway.simulator.requests).toHaveLength(2);
    });
  });

  describe('secrets in what Blooio says', () => {
    it("scrubs the tenant's Blooio key echoed in Blooio's error message", async () => {
      gateway.simulator.enqueueFault({
        status: 400,
        body: blooioError(400, `API key ${BLOOIO_KEYS.acme} cannot send to this chat`, 'bad_chat'),
      });
      const response = await send();
      expectProblem(response, 422, 'upstream_rejected');
      expect(response.text).not.toContain(BLOOIO_KEYS.acme);
      expect(response.body.upstream).toMatchObject({ status: 400, code: 'bad_chat' });
      expect(response.body.upstream.message).toContain('cannot send to this chat');
    });

    it("scrubs the tenant's Blooio key echoed in a 401's message", async () => {
      gateway.simulator.enqueueFault({
        status: 401,
        body: blooioError(401, `Invalid API key: ${BLOOIO_KEYS.acme}`),
      });
      const response = await send();
      expectProblem(response, 502, 'upstream_auth_failed');
      expect(response.text).not.toContain(BLOOIO_KEYS.acme);
    });

    it("scrubs a truncated echo of the tenant's Blooio key", async () => {
      const truncated = BLOOIO_KEYS.acme.slice(0, -1);
      gateway.simulator.enqueueFault({
        status: 401,
        body: blooioError(401, `Invalid API key: ${truncated}.`),
      });
      const response = await send();
      expectProblem(response, 502, 'upstream_auth_failed');
      expect(response.text).not.toContain(truncated.slice(4));
    });

    it("never passes on the tenant's Blooio key echoed in Blooio's error code", async () => {
      gateway.simulator.enqueueFault({
        status: 403,
        body: blooioError(403, 'Forbidden', `key_${BLOOIO_KEYS.acme}_suspended`),
      });
      const response = await send();
      expectProblem(response, 403, 'upstream_rejected');
      expect(response.text).not.toContain(BLOOIO_KEYS.acme);
    });
  });
});

describe('Blooio deadline (e2e)', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      env: { BLOOIO_TIMEOUT_MS: '300', BLOOIO_MAX_RETRIES: '0', BLOOIO_BREAKER_THRESHOLD: '1000' },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  it.each<[string, SimulatedFault]>([
    ['never answers', { hang: true }],
    ['answers after 1.5 s', { delayMs: 1_500 }],
  ])('answers 504 upstream_timeout well under 2 s when Blooio %s', async (_case, fault) => {
    gateway.simulator.enqueueFault(fault);
    const started = Date.now();
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .send(BODY);
    const elapsed = Date.now() - started;
    expectUpstreamProblem(response, 504, 'upstream_timeout', gateway.simulator.baseUrl);
    expect(response.body.upstream).toBeUndefined();
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
    expect(gateway.simulator.requests).toHaveLength(1);
  });
});

describe('Blooio unreachable (e2e)', () => {
  let gateway: TestGateway;
  let baseUrl: string;

  /** A port that nothing listens on: bound once by the OS, then released. */
  const closedPort = () =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(port));
      });
    });

  beforeAll(async () => {
    baseUrl = `http://127.0.0.1:${await closedPort()}/v2/api`;
    gateway = await startGateway({
      tenants: testTenantsDocument(),
      env: { BLOOIO_BASE_URL: baseUrl, BLOOIO_MAX_RETRIES: '0', BLOOIO_BREAKER_THRESHOLD: '1000' },
    });
  });
  afterAll(() => gateway.close());

  it('answers 502 upstream_error when the connection is refused', async () => {
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeOrders))
      .send(BODY);
    expectUpstreamProblem(response, 502, 'upstream_error', baseUrl);
    expect(response.body.upstream).toBeUndefined();
    expect(response.text).not.toContain('127.0.0.1');
  });
});
