import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import type { RecordedRequest, SimulatedFault } from '../src/sandbox/blooio-simulator';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { ACME_SENDERS, KEYS } from './support/tenants.fixture';

/**
 * Delivery guarantees under injected Blooio faults (DESIGN.md §5): which answers are retried, that
 * every attempt of one send carries the same upstream Idempotency-Key, that the deadline bounds
 * the whole send, that the gateway's own idempotency records replay, refuse or release as they
 * should, and that each tenant's circuit breaker opens, answers fast and closes again.
 *
 * Timings are small (set through the environment) and the time bounds generous: the machines
 * that run this suite are shared.
 */

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

const BODY = { recipients: ['+15551234567'], text: 'hello' };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DERIVED_KEY = /^[0-9a-f]{64}$/;
/** Slack for a noisy machine on top of the time a send may legitimately take. */
const SLACK_MS = 500;

const FAST_BACKOFF = { BLOOIO_RETRY_BASE_DELAY_MS: '10', BLOOIO_RETRY_MAX_DELAY_MS: '50' };

/** Blooio's error body shape. */
const blooioError = (status: number, message: string, code?: string) => ({
  error: 'ApiError',
  message,
  status,
  ...(code !== undefined && { code }),
});

const fault500: SimulatedFault = { status: 500, body: blooioError(500, 'Internal error') };

type Body = object | string;

/** A test case's name as an Idempotency-Key: printable ASCII only. */
const keyOf = (prefix: string, name: string) =>
  `${prefix}-${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

/** A sender of POST /v1/messages for the gateway that `current` returns when called. */
function messagesSender(current: () => Gateway) {
  return (
    body: Body = BODY,
    headers: Record<string, string> = {},
    key: string = KEYS.acmeOrders,
  ) => {
    const request = current()
      .http()
      .post('/v1/messages')
      .set({ ...bearer(key), ...headers });
    // A string is sent as it is: the only way to choose the JSON key order on the wire.
    return typeof body === 'string'
      ? request.set('content-type', 'application/json').send(body)
      : request.send(body);
  };
}

/** The response and how long it took, in milliseconds. */
async function timed(run: () => PromiseLike<Response>): Promise<[Response, number]> {
  const started = performance.now();
  const response = await run();
  return [response, performance.now() - started];
}

/** Every attempt carried one and the same upstream Idempotency-Key; returns that key. */
function expectOneUpstreamKey(requests: readonly RecordedRequest[]): string {
  expect(requests.length).toBeGreaterThan(0);
  const key = requests[0].headers['idempotency-key'];
  expect(key).toEqual(expect.any(String));
  expect(requests.map((request) => request.headers['idempotency-key'])).toEqual(
    Array<string>(requests.length).fill(key),
  );
  return key;
}

function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
}

function expectAccepted(response: Response, status = 202): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({
    status,
    code: undefined,
  });
  expect(response.body.messageId).toMatch(/^msg_/);
}

describe('delivery: retries (e2e)', () => {
  let gateway: Gateway;
  const send = messagesSender(() => gateway);
  const DEADLINE_MS = 1_500;
  const ATTEMPT_TIMEOUT_MS = 400;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      env: {
        BLOOIO_MAX_RETRIES: '2',
        ...FAST_BACKOFF,
        BLOOIO_TIMEOUT_MS: String(DEADLINE_MS),
        BLOOIO_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
        // Exhausted sends count towards the breaker; it has its own suite below.
        BLOOIO_BREAKER_THRESHOLD: '1000',
      },
    });
    await send().expect(202); // warm-up: the first request of a process is the slowest
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  describe('retried, then accepted: 202 after 2 attempts with one upstream key', () => {
    it.each<[string, SimulatedFault]>([
      ['a 500', fault500],
      ['a 502', { status: 502, body: blooioError(502, 'Bad gateway') }],
      ['a 504', { status: 504, body: blooioError(504, 'Gateway timeout') }],
      ['a connection reset', { reset: true }],
      ['a plain 429 (no code, no Retry-After)', { status: 429, body: blooioError(429, 'Slow') }],
      ['an attempt that never answers (per-attempt timeout)', { hang: true }],
      ['an attempt that answers after the per-attempt timeout', { delayMs: 1_000 }],
    ])('%s', async (_case, fault) => {
      gateway.simulator.enqueueFault(fault);
      const [response, elapsed] = await timed(() => send());
      expectAccepted(response);
      expect(gateway.simulator.requests).toHaveLength(2);
      expect(expectOneUpstreamKey(gateway.simulator.requests)).toMatch(UUID_V4);
      expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
      if (fault.hang || fault.delayMs)
        expect(elapsed).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 20);
    });
  });

  it("answers 202 when a retry gets Blooio's replay of its own cut-off attempt", async () => {
    // Attempt 1 is cut off at the per-attempt timeout but Blooio still sends it (at 450 ms);
    // attempt 2, with the same key, reaches Blooio after that and gets Blooio's 200 replay.
    gateway.simulator.enqueueFault({ delayMs: ATTEMPT_TIMEOUT_MS + 50 }, { delayMs: 200 });
    const [response, elapsed] = await timed(() => send());
    expectAccepted(response, 202);
    expect(response.headers['idempotent-replayed']).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(2);
    expectOneUpstreamKey(gateway.simulator.requests);
    expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('answers 200 with the first message when a timed-out send that Blooio did send is retried', async () => {
    const headers = { 'Idempotency-Key': 'retry-cut-off-then-timeout' };
    gateway.simulator.enqueueFault(
      { delayMs: ATTEMPT_TIMEOUT_MS + 50 },
      { hang: true },
      { hang: true },
    );
    const [timedOut, elapsed] = await timed(() => send(BODY, headers));
    expectProblem(timedOut, 504, 'upstream_timeout');
    expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(gateway.simulator.requests).toHaveLength(3);

    // The 504 released the key; Blooio recognises it and answers the message it already sent.
    const retried = await send(BODY, headers);
    expectAccepted(retried, 200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(4);
    expect(expectOneUpstreamKey(gateway.simulator.requests)).toMatch(DERIVED_KEY);

    const replay = await send(BODY, headers);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(retried.text);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(gateway.simulator.requests).toHaveLength(4);
  });

  it('retries a 500 then a 502 and answers 202 on the third attempt', async () => {
    gateway.simulator.enqueueFault(fault500, { status: 502, body: blooioError(502, 'Bad') });
    const [response, elapsed] = await timed(() => send());
    expectAccepted(response);
    expect(gateway.simulator.requests).toHaveLength(3);
    expectOneUpstreamKey(gateway.simulator.requests);
    expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('gives up after max retries: three 500s answer 502 upstream_error after 3 attempts', async () => {
    gateway.simulator.enqueueFault(fault500, fault500, fault500);
    const [response, elapsed] = await timed(() => send());
    expectProblem(response, 502, 'upstream_error');
    expect(response.body.upstream).toEqual({ status: 500, message: 'Internal error' });
    expect(gateway.simulator.requests).toHaveLength(3);
    expectOneUpstreamKey(gateway.simulator.requests);
    expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('gives up after max retries on connection resets: 502 upstream_error after 3 attempts', async () => {
    gateway.simulator.enqueueFault({ reset: true }, { reset: true }, { reset: true });
    const response = await send();
    expectProblem(response, 502, 'upstream_error');
    expect(response.body.upstream).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(3);
    expectOneUpstreamKey(gateway.simulator.requests);
  });

  it('gives up after max retries on plain 429s: 429 upstream_rate_limited after 3 attempts', async () => {
    const plain429: SimulatedFault = { status: 429, body: blooioError(429, 'Slow down') };
    gateway.simulator.enqueueFault(plain429, plain429, plain429);
    const response = await send();
    expectProblem(response, 429, 'upstream_rate_limited');
    expect(gateway.simulator.requests).toHaveLength(3);
    expectOneUpstreamKey(gateway.simulator.requests);
  });

  describe('never retried: exactly one attempt', () => {
    it.each<[string, SimulatedFault, number, string, Record<string, string>?]>([
      [
        '400',
        { status: 400, body: blooioError(400, 'Bad reply target', 'reply_target_invalid') },
        422,
        'upstream_rejected',
      ],
      [
        '401',
        { status: 401, body: blooioError(401, 'Invalid API key') },
        502,
        'upstream_auth_failed',
      ],
      [
        '402',
        { status: 402, body: blooioError(402, 'Plan limit', 'payment_required') },
        402,
        'upstream_rejected',
      ],
      [
        '403',
        { status: 403, body: blooioError(403, 'Inbound only', 'inbound_only_no_prior_inbound') },
        403,
        'upstream_rejected',
      ],
      [
        '404',
        { status: 404, body: blooioError(404, 'Chat not found', 'chat_not_found') },
        404,
        'upstream_rejected',
      ],
      [
        '409',
        { status: 409, body: blooioError(409, 'Conflict', 'conflict') },
        409,
        'upstream_rejected',
      ],
      [
        '429 outbound_limit_reached',
        {
          status: 429,
          body: blooioError(429, 'Outbound limit', 'outbound_limit_reached'),
          headers: { 'retry-after': '7' },
        },
        429,
        'upstream_rate_limited',
        { 'retry-after': '7' },
      ],
      [
        '429 new_conversation_limit_reached',
        {
          status: 429,
          body: blooioError(429, 'New conversations', 'new_conversation_limit_reached'),
          headers: { 'retry-after': '1' },
        },
        429,
        'upstream_rate_limited',
        { 'retry-after': '1' },
      ],
      [
        '503',
        { status: 503, body: blooioError(503, 'No active number') },
        503,
        'upstream_unavailable',
      ],
      [
        '501 (not one of 500/502/504)',
        { status: 501, body: blooioError(501, 'No') },
        502,
        'upstream_error',
      ],
      ['a 202 that cannot be read', { status: 202, raw: 'OK' }, 502, 'upstream_error'],
      [
        'a 202 with status "failed"',
        { status: 202, body: { message_id: 'msg_failed1', status: 'failed' } },
        422,
        'message_failed',
      ],
    ])('%s', async (_case, fault, status, code, headers = {}) => {
      gateway.simulator.enqueueFault(fault);
      const [response, elapsed] = await timed(() => send());
      expectProblem(response, status, code);
      expect(response.headers).toMatchObject(headers);
      expect(gateway.simulator.requests).toHaveLength(1);
      // Answered at once: no backoff, no waiting for a Retry-After.
      expect(elapsed).toBeLessThan(SLACK_MS);
    });
  });

  describe('Retry-After', () => {
    it('waits the Retry-After of a plain 429 before the next attempt', async () => {
      gateway.simulator.enqueueFault({
        status: 429,
        body: blooioError(429, 'Too many requests'),
        headers: { 'retry-after': '1' },
      });
      const [response, elapsed] = await timed(() => send());
      expectAccepted(response);
      const [first, second] = gateway.simulator.requests;
      expect(gateway.simulator.requests).toHaveLength(2);
      expectOneUpstreamKey(gateway.simulator.requests);
      expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });

    it('waits the Retry-After of a 500 before the next attempt', async () => {
      gateway.simulator.enqueueFault({ ...fault500, headers: { 'retry-after': '1' } });
      const response = await send();
      expectAccepted(response);
      const [first, second] = gateway.simulator.requests;
      expect(gateway.simulator.requests).toHaveLength(2);
      expectOneUpstreamKey(gateway.simulator.requests);
      expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(990);
    });

    it('reads a Retry-After sent twice by its first value (a header array is not a 500)', async () => {
      gateway.simulator.enqueueFault({ ...fault500, headers: { 'retry-after': ['1', '9'] } });
      const response = await send();
      expectAccepted(response);
      const [first, second] = gateway.simulator.requests;
      expect(gateway.simulator.requests).toHaveLength(2);
      expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(990);
    });

    it('never waits past the deadline: a second Retry-After that would is not waited for', async () => {
      const slowDown: SimulatedFault = {
        status: 429,
        body: blooioError(429, 'Too many requests'),
        headers: { 'retry-after': '1' },
      };
      gateway.simulator.enqueueFault(slowDown, slowDown);
      const [response, elapsed] = await timed(() => send());
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.headers['retry-after']).toBe('1');
      // Waited once (1 s fits in 1.5 s), then answered: a second wait would end past the deadline.
      expect(gateway.simulator.requests).toHaveLength(2);
      expectOneUpstreamKey(gateway.simulator.requests);
      expect(elapsed).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });

    it('does not retry when Retry-After ends past the deadline: the 429 is answered at once', async () => {
      gateway.simulator.enqueueFault({
        status: 429,
        body: blooioError(429, 'Too many requests'),
        headers: { 'retry-after': '5' },
      });
      const [response, elapsed] = await timed(() => send());
      expectProblem(response, 429, 'upstream_rate_limited');
      expect(response.headers['retry-after']).toBe('5');
      expect(gateway.simulator.requests).toHaveLength(1);
      expect(elapsed).toBeLessThan(SLACK_MS);
    });

    it('does not retry a 500 whose Retry-After ends past the deadline', async () => {
      gateway.simulator.enqueueFault({ ...fault500, headers: { 'retry-after': '5' } });
      const [response, elapsed] = await timed(() => send());
      expectProblem(response, 502, 'upstream_error');
      expect(gateway.simulator.requests).toHaveLength(1);
      expect(elapsed).toBeLessThan(SLACK_MS);
    });
  });

  describe('the upstream Idempotency-Key of one send', () => {
    it('is one UUID v4 for every attempt when the caller sent no key, and a new one per send', async () => {
      gateway.simulator.enqueueFault(fault500, { reset: true });
      const response = await send();
      expectAccepted(response);
      expect(response.headers['idempotency-key']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(3);
      const key = expectOneUpstreamKey(gateway.simulator.requests);
      expect(key).toMatch(UUID_V4);

      await send().expect(202);
      expect(gateway.simulator.requests).toHaveLength(4);
      expect(gateway.simulator.requests[3].headers['idempotency-key']).toMatch(UUID_V4);
      expect(gateway.simulator.requests[3].headers['idempotency-key']).not.toBe(key);
    });

    it('is one derived key (64 hex) for every attempt when the caller sent one', async () => {
      gateway.simulator.enqueueFault(fault500, { status: 504, body: blooioError(504, 'Late') });
      const response = await send(BODY, { 'Idempotency-Key': 'order-42' });
      expectAccepted(response);
      expect(response.headers['idempotency-key']).toBe('order-42');
      expect(response.body.idempotencyKey).toBe('order-42');
      expect(gateway.simulator.requests).toHaveLength(3);
      const key = expectOneUpstreamKey(gateway.simulator.requests);
      expect(key).toMatch(DERIVED_KEY);
      expect(key).not.toContain('order-42');
    });
  });
});

describe('delivery: deadline (e2e)', () => {
  let gateway: Gateway;
  const send = messagesSender(() => gateway);
  const DEADLINE_MS = 600;
  const MAX_RETRIES = 2;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      env: {
        BLOOIO_MAX_RETRIES: String(MAX_RETRIES),
        ...FAST_BACKOFF,
        BLOOIO_TIMEOUT_MS: String(DEADLINE_MS),
        BLOOIO_ATTEMPT_TIMEOUT_MS: '250',
        BLOOIO_BREAKER_THRESHOLD: '1000',
      },
    });
    await send().expect(202);
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  /** More faults than attempts can use: whatever the gateway does, Blooio never answers. */
  const everyAttempt = (fault: SimulatedFault) =>
    gateway.simulator.enqueueFault(...Array<SimulatedFault>(10).fill(fault));

  it.each<[string, SimulatedFault]>([
    ['hangs on every attempt', { hang: true }],
    ['answers every attempt after 5 s', { delayMs: 5_000 }],
  ])(
    'answers 504 upstream_timeout at the deadline, never later, when Blooio %s',
    async (_case, fault) => {
      everyAttempt(fault);
      const [response, elapsed] = await timed(() => send());
      expectProblem(response, 504, 'upstream_timeout');
      expect(response.body.upstream).toBeUndefined();
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
      // The per-attempt timeout (250 ms) leaves room for a retry, and retries are bounded.
      expect(gateway.simulator.requests.length).toBeGreaterThanOrEqual(2);
      expect(gateway.simulator.requests.length).toBeLessThanOrEqual(MAX_RETRIES + 1);
      expectOneUpstreamKey(gateway.simulator.requests);
    },
  );

  it('answers 409 idempotency_key_in_use with Retry-After: 1 while the first send is in flight', async () => {
    everyAttempt({ hang: true });
    const headers = { 'Idempotency-Key': 'deadline-in-flight' };
    const first = send(BODY, headers).then((response) => response);
    await sleep(100);
    const [second, elapsed] = await timed(() => send(BODY, headers));
    expectProblem(second, 409, 'idempotency_key_in_use');
    expect(second.headers['retry-after']).toBe('1');
    expect(second.headers['idempotency-key']).toBe('deadline-in-flight');
    expect(elapsed).toBeLessThan(SLACK_MS);
    const timedOut = await first;
    expectProblem(timedOut, 504, 'upstream_timeout');
    expect(timedOut.headers['idempotency-key']).toBe('deadline-in-flight');
    // The second request never reached Blooio: every recorded attempt belongs to the first.
    expectOneUpstreamKey(gateway.simulator.requests);
    expect(gateway.simulator.requests.length).toBeLessThanOrEqual(MAX_RETRIES + 1);
  });

  it('releases the key after a 504: the same key then calls Blooio again and succeeds', async () => {
    everyAttempt({ hang: true });
    const headers = { 'Idempotency-Key': 'deadline-released' };
    expectProblem(await send(BODY, headers), 504, 'upstream_timeout');
    const timedOut = [...gateway.simulator.requests];
    const key = expectOneUpstreamKey(timedOut);
    expect(key).toMatch(DERIVED_KEY);

    gateway.simulator.clear(); // Blooio answers again
    const retried = await send(BODY, headers);
    expectAccepted(retried);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(1);
    expect(gateway.simulator.requests[0].headers['idempotency-key']).toBe(key);
  });
});

describe('delivery: idempotency records (e2e)', () => {
  let gateway: Gateway;
  const send = messagesSender(() => gateway);

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      env: {
        BLOOIO_MAX_RETRIES: '2',
        ...FAST_BACKOFF,
        BLOOIO_TIMEOUT_MS: '1500',
        BLOOIO_BREAKER_THRESHOLD: '1000',
      },
    });
    await send().expect(202);
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  it('replays the same request: 200, the same bytes, Idempotent-Replayed, one upstream send', async () => {
    const headers = { 'Idempotency-Key': 'rec-replay' };
    const first = await send(BODY, headers);
    expectAccepted(first);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    // Blooio would fail now: a replay must not even ask.
    gateway.simulator.enqueueFault(fault500, fault500, fault500);
    const second = await send(BODY, headers);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers['idempotency-key']).toBe('rec-replay');
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(gateway.simulator.requests).toHaveLength(1);
  });

  describe('the Idempotency-Key header, repeated on every answer to a send that carried one', () => {
    it('on a refusal by Blooio and on its replay', async () => {
      gateway.simulator.enqueueFault({
        status: 403,
        body: blooioError(403, 'Inbound only', 'inbound_only_no_prior_inbound'),
      });
      const headers = { 'Idempotency-Key': 'rec-echo-refused' };
      const first = await send(BODY, headers);
      expectProblem(first, 403, 'upstream_rejected');
      expect(first.headers['idempotency-key']).toBe('rec-echo-refused');
      const replay = await send(BODY, headers);
      expectProblem(replay, 403, 'upstream_rejected');
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers['idempotency-key']).toBe('rec-echo-refused');
    });

    it.each<[string, () => Promise<Response>, number, string]>([
      [
        'an invalid body',
        () => send({ recipients: [] }, { 'Idempotency-Key': 'rec-echo' }),
        400,
        'validation_failed',
      ],
      [
        'a sender the tenant may not use',
        () => send({ ...BODY, sender: '+15557770000' }, { 'Idempotency-Key': 'rec-echo' }),
        403,
        'sender_not_allowed',
      ],
      [
        'no API key',
        () => gateway.http().post('/v1/messages').set('Idempotency-Key', 'rec-echo').send(BODY),
        401,
        'unauthenticated',
      ],
      [
        'a body that is not JSON (refused by the body parser)',
        () =>
          gateway
            .http()
            .post('/v1/messages')
            .set({ ...bearer(KEYS.acmeOrders), 'Idempotency-Key': 'rec-echo' })
            .set('Content-Type', 'text/plain')
            .send('hello'),
        415,
        'unsupported_media_type',
      ],
    ])('on %s', async (_name, request, status, code) => {
      const response = await request();
      expectProblem(response, status, code);
      expect(response.headers['idempotency-key']).toBe('rec-echo');
      expect(gateway.simulator.requests).toHaveLength(0);
    });

    it('but not when the key itself is malformed', async () => {
      const response = await send(BODY, { 'Idempotency-Key': 'k'.repeat(256) });
      expectProblem(response, 400, 'validation_failed');
      expect(response.headers['idempotency-key']).toBeUndefined();
    });
  });

  it('is one namespace per tenant: another API key of the tenant gets the replay', async () => {
    const headers = { 'Idempotency-Key': 'rec-same-tenant' };
    const first = await send(BODY, { ...headers, 'X-Request-Id': 'req-first' }, KEYS.acmeOrders);
    expectAccepted(first);
    const second = await send(BODY, { ...headers, 'X-Request-Id': 'req-second' }, KEYS.acmeRotated);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    // The replay is the first answer, but this request's own id is still on it.
    expect(second.headers['x-request-id']).toBe('req-second');
    expect(gateway.simulator.requests).toHaveLength(1);
  });

  it.each<[string, object]>([
    ['other text', { ...BODY, text: 'something else' }],
    ['another recipient', { ...BODY, recipients: ['+15559876543'] }],
    ['another sender', { ...BODY, sender: ACME_SENDERS[1] }],
  ])(
    'refuses the same key with a different request (%s): 422 idempotency_key_reused, no send',
    async (name, other) => {
      const headers = { 'Idempotency-Key': keyOf('rec-reused', name) };
      expectAccepted(await send(BODY, headers));
      const response = await send(other, headers);
      expectProblem(response, 422, 'idempotency_key_reused');
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(1);
    },
  );

  it('fingerprints several recipients as a set: their order does not matter', async () => {
    const headers = { 'Idempotency-Key': 'rec-recipient-order' };
    const first = await send(
      { recipients: ['+15559876543', 'jane@example.com'], text: 'hi' },
      headers,
    );
    expectAccepted(first);
    const swapped = await send(
      { recipients: ['Jane@Example.com', '+15559876543'], text: 'hi' },
      headers,
    );
    expect(swapped.status).toBe(200);
    expect(swapped.text).toBe(first.text);
    expect(swapped.headers['idempotent-replayed']).toBe('true');
    expect(gateway.simulator.requests).toHaveLength(1);
  });

  it('fingerprints the normalised request: recipient spelling and key order do not matter', async () => {
    const headers = { 'Idempotency-Key': 'rec-normalised' };
    const first = await send(
      {
        recipients: ['(555) 123-4567'],
        text: 'hi',
        linkPreview: { title: 'Hero', imageUrl: 'https://cdn.example.com/hero.png' },
      },
      headers,
    );
    expectAccepted(first);
    const second = await send(
      '{"linkPreview":{"imageUrl":"https://cdn.example.com/hero.png","title":"Hero"},' +
        '"text":"hi","recipients":["+15551234567"]}',
      headers,
    );
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(gateway.simulator.requests).toHaveLength(1);
  });

  it('keeps tenants apart: the same caller key in two tenants sends twice, each replays its own', async () => {
    const headers = { 'Idempotency-Key': 'rec-shared' };
    const acme = await send(BODY, headers, KEYS.acmeOrders);
    const globex = await send(BODY, headers, KEYS.globex);
    expectAccepted(acme);
    expectAccepted(globex);
    expect(globex.body.messageId).not.toBe(acme.body.messageId);
    expect(gateway.simulator.requests).toHaveLength(2);
    const [acmeKey, globexKey] = gateway.simulator.requests.map(
      (r) => r.headers['idempotency-key'],
    );
    expect(acmeKey).toMatch(DERIVED_KEY);
    expect(globexKey).toMatch(DERIVED_KEY);
    expect(acmeKey).not.toBe(globexKey);

    const acmeAgain = await send(BODY, headers, KEYS.acmeOrders).expect(200);
    const globexAgain = await send(BODY, headers, KEYS.globex).expect(200);
    expect(acmeAgain.text).toBe(acme.text);
    expect(globexAgain.text).toBe(globex.text);
    // A different request under the same key is judged against the tenant's own record only.
    expectProblem(
      await send({ ...BODY, text: 'x' }, headers, KEYS.globex),
      422,
      'idempotency_key_reused',
    );
    expect(gateway.simulator.requests).toHaveLength(2);
  });

  describe('answers that are final are recorded and replayed without calling Blooio', () => {
    it.each<[string, SimulatedFault, number, string]>([
      [
        'a coded 403',
        { status: 403, body: blooioError(403, 'Inbound only', 'inbound_only_no_prior_inbound') },
        403,
        'upstream_rejected',
      ],
      [
        'a 400 (→ 422)',
        {
          status: 400,
          body: blooioError(400, 'Attachment first', 'attachment_first_message_not_allowed'),
        },
        422,
        'upstream_rejected',
      ],
      [
        'a 202 with status "failed" (→ 422 message_failed)',
        { status: 202, body: { message_id: 'msg_failed2', status: 'failed' } },
        422,
        'message_failed',
      ],
    ])('%s', async (name, fault, status, code) => {
      const headers = { 'Idempotency-Key': keyOf('rec-final', name) };
      gateway.simulator.enqueueFault(fault);
      const first = await send(BODY, headers);
      expectProblem(first, status, code);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const second = await send(BODY, headers);
      expect(second.status).toBe(status);
      expect(second.text).toBe(first.text);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(gateway.simulator.requests).toHaveLength(1);
    });
    it("records Blooio's quota 429 like any upstream answer: the same key replays it without a call", async () => {
      const headers = { 'Idempotency-Key': 'rec-recorded-429' };
      gateway.simulator.enqueueFault({
        status: 429,
        body: blooioError(429, 'Outbound limit', 'outbound_limit_reached'),
        headers: { 'retry-after': '30' },
      });
      const first = await send(BODY, headers);
      expectProblem(first, 429, 'upstream_rate_limited');
      const replay = await send(BODY, headers);
      expectProblem(replay, 429, 'upstream_rate_limited');
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers['retry-after']).toBe('30');
      expect(replay.text).toBe(first.text);
      expect(gateway.simulator.requests).toHaveLength(1);
    });
  });

  describe('answers that may change are not recorded: the key is released', () => {
    it('after a plain 429 (no quota code) with retries exhausted, the same key sends after Retry-After', async () => {
      const headers = { 'Idempotency-Key': 'rec-released-429' };
      const slowDown: SimulatedFault = {
        status: 429,
        body: blooioError(429, 'Too many requests'),
        headers: { 'retry-after': '0' },
      };
      gateway.simulator.enqueueFault(slowDown, slowDown, slowDown);
      const limited = await send(BODY, headers);
      expectProblem(limited, 429, 'upstream_rate_limited');
      expect(gateway.simulator.requests).toHaveLength(3);

      const retried = await send(BODY, headers);
      expectAccepted(retried);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(4);
      expectOneUpstreamKey(gateway.simulator.requests);
    });

    it('after 5xx with retries exhausted, the same key calls Blooio again, succeeds, then replays', async () => {
      const headers = { 'Idempotency-Key': 'rec-released-5xx' };
      gateway.simulator.enqueueFault(fault500, fault500, fault500);
      expectProblem(await send(BODY, headers), 502, 'upstream_error');
      expect(gateway.simulator.requests).toHaveLength(3);

      const retried = await send(BODY, headers);
      expectAccepted(retried);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(gateway.simulator.requests).toHaveLength(4);
      // The derived key is the same for the caller's retry, so Blooio could deduplicate it too.
      expect(expectOneUpstreamKey(gateway.simulator.requests)).toMatch(DERIVED_KEY);

      const replay = await send(BODY, headers).expect(200);
      expect(replay.text).toBe(retried.text);
      expect(gateway.simulator.requests).toHaveLength(4);
    });

    it.each<[string, SimulatedFault, number, string]>([
      [
        'a Blooio 503',
        { status: 503, body: blooioError(503, 'Down') },
        503,
        'upstream_unavailable',
      ],
    ])(
      'after %s, the same key calls Blooio again and can succeed',
      async (name, fault, status, code) => {
        const headers = { 'Idempotency-Key': keyOf('rec-released', name) };
        gateway.simulator.enqueueFault(fault);
        expectProblem(await send(BODY, headers), status, code);
        const retried = await send(BODY, headers);
        expectAccepted(retried);
        expect(gateway.simulator.requests).toHaveLength(2);
        expectOneUpstreamKey(gateway.simulator.requests);
      },
    );

    it('does not record validation failures: the fixed request with the same key is sent', async () => {
      const headers = { 'Idempotency-Key': 'rec-validation' };
      const invalid = await send({ recipients: ['not-a-number'], text: 'hi' }, headers);
      expectProblem(invalid, 400, 'validation_failed');
      const empty = await send({ recipients: ['+15551234567'] }, headers);
      expectProblem(empty, 400, 'validation_failed');
      expect(gateway.simulator.requests).toHaveLength(0);

      const fixed = await send(BODY, headers);
      expectAccepted(fixed);
      expect(gateway.simulator.requests).toHaveLength(1);
    });
  });
});

describe('delivery: idempotency record expiry (e2e)', () => {
  let gateway: Gateway;
  const send = messagesSender(() => gateway);

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({ env: { IDEMPOTENCY_TTL_SECONDS: '1' } });
  });
  afterAll(() => gateway.close());

  it('forgets a record after IDEMPOTENCY_TTL_SECONDS: the same key reaches Blooio again', async () => {
    const headers = { 'Idempotency-Key': 'ttl-1' };
    const first = await send(BODY, headers);
    expectAccepted(first);
    expect((await send(BODY, headers)).headers['idempotent-replayed']).toBe('true');
    expect(gateway.simulator.requests).toHaveLength(1);

    await sleep(1_200);
    const later = await send(BODY, headers);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(2);
    // Same derived upstream key, so Blooio itself answers its first message: not sent twice.
    expectOneUpstreamKey(gateway.simulator.requests);
    expectAccepted(later, 200);
    expect(later.body.messageId).toBe(first.body.messageId);
  });
});

describe('delivery: concurrent requests with one key (e2e)', () => {
  let gateway: Gateway;
  const send = messagesSender(() => gateway);
  const CONCURRENT = 25;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      simulator: { latencyMs: 300 },
      env: { BLOOIO_TIMEOUT_MS: '5000', BLOOIO_BREAKER_THRESHOLD: '1000' },
    });
    await send().expect(202);
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  it(`sends once for ${CONCURRENT} identical concurrent requests; the others wait or replay`, async () => {
    const headers = { 'Idempotency-Key': 'concurrent-1' };
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, () => send(BODY, headers).then((response) => response)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => ![200, 202, 409].includes(status))).toEqual([]);
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(gateway.simulator.requests).toHaveLength(1);

    const accepted = responses.find((response) => response.status === 202) as Response;
    for (const response of responses) {
      if (response.status === 409) {
        expectProblem(response, 409, 'idempotency_key_in_use');
        expect(response.headers['retry-after']).toBe('1');
      } else if (response.status === 200) {
        expect(response.text).toBe(accepted.text);
        expect(response.headers['idempotent-replayed']).toBe('true');
      }
    }

    const later = await send(BODY, headers).expect(200);
    expect(later.text).toBe(accepted.text);
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(gateway.simulator.requests).toHaveLength(1);
  });

  it('sends once per tenant when two tenants use one key concurrently', async () => {
    const headers = { 'Idempotency-Key': 'concurrent-shared' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(BODY, headers, i % 2 ? KEYS.globex : KEYS.acmeOrders).then((response) => response),
      ),
    );
    expect(responses.filter((response) => response.status === 202)).toHaveLength(2);
    expect(responses.filter((response) => ![200, 202, 409].includes(response.status))).toEqual([]);
    expect(gateway.simulator.requests).toHaveLength(2);
    expect(new Set(gateway.simulator.requests.map((r) => r.headers.authorization)).size).toBe(2);
  });

  it('sends every concurrent request that has its own key, each with its own upstream key', async () => {
    // 10, not more: each request waits in the simulator, and Node warns beyond 10 abort listeners.
    const OWN_KEYS = 10;
    const responses = await Promise.all(
      Array.from({ length: OWN_KEYS }, (_, i) =>
        send(BODY, { 'Idempotency-Key': `concurrent-own-${i}` }).then((response) => response),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(OWN_KEYS).fill(202));
    const keys = gateway.simulator.requests.map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(OWN_KEYS);
  });
});

describe('delivery: circuit breaker per tenant (e2e)', () => {
  let gateway: Gateway;
  const send = messagesSender(() => gateway);
  const THRESHOLD = 3;
  const COOLDOWN_MS = 1_000;
  /** How fast an open circuit must answer: no Blooio call, no waiting. */
  const FAST_MS = 250;

  // A fresh gateway per test: the breakers' state is the subject of every test.
  beforeEach(async () => {
    gateway = await startGatewayWithSimulator({
      env: {
        BLOOIO_MAX_RETRIES: '0',
        BLOOIO_TIMEOUT_MS: '500',
        BLOOIO_BREAKER_THRESHOLD: String(THRESHOLD),
        BLOOIO_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      },
    });
  });
  afterEach(() => gateway.close());

  /** Three failed sends for acme, each one attempt. */
  async function openAcmeCircuit(
    faults: SimulatedFault[] = [fault500, fault500, fault500],
  ): Promise<void> {
    gateway.simulator.enqueueFault(...faults);
    for (let i = 0; i < THRESHOLD; i += 1) {
      expect((await send()).status).toBeGreaterThanOrEqual(500);
    }
    expect(gateway.simulator.requests).toHaveLength(THRESHOLD);
  }

  async function expectOpen(key: string = KEYS.acmeOrders): Promise<void> {
    const before = gateway.simulator.requests.length;
    const [response, elapsed] = await timed(() => send(BODY, {}, key));
    expectProblem(response, 503, 'upstream_unavailable');
    expect(response.body.upstream).toBeUndefined();
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(
      Math.ceil(COOLDOWN_MS / 1_000),
    );
    expect(gateway.simulator.requests).toHaveLength(before);
    expect(elapsed).toBeLessThan(FAST_MS);
  }

  it('opens after consecutive 500s: 503 fast without calling Blooio; globex still sends', async () => {
    await openAcmeCircuit();
    await expectOpen();
    await expectOpen(KEYS.acmeRotated); // every key of the tenant
    const globex = await send(BODY, {}, KEYS.globex);
    expectAccepted(globex);
    expect(gateway.simulator.requests).toHaveLength(THRESHOLD + 1);
    await expectOpen();
  });

  it('counts timeouts and connection failures too', async () => {
    await openAcmeCircuit([fault500, { reset: true }, { hang: true }]);
    await expectOpen();
  });

  it('needs consecutive failures: a success in between starts the count again', async () => {
    gateway.simulator.enqueueFault(fault500, fault500);
    expect((await send()).status).toBe(502);
    expect((await send()).status).toBe(502);
    expectAccepted(await send());
    gateway.simulator.enqueueFault(fault500, fault500);
    expect((await send()).status).toBe(502);
    expect((await send()).status).toBe(502);
    expectAccepted(await send());
    expect(gateway.simulator.requests).toHaveLength(6);
  });

  it('never opens on 4xx answers', async () => {
    const refusal: SimulatedFault = {
      status: 403,
      body: blooioError(403, 'Inbound only', 'inbound_only_no_prior_inbound'),
    };
    const quota: SimulatedFault = {
      status: 429,
      body: blooioError(429, 'Outbound limit', 'outbound_limit_reached'),
    };
    gateway.simulator.enqueueFault(
      refusal,
      refusal,
      refusal,
      refusal,
      refusal,
      quota,
      quota,
      quota,
    );
    for (let i = 0; i < 5; i += 1) expectProblem(await send(), 403, 'upstream_rejected');
    for (let i = 0; i < 3; i += 1) expectProblem(await send(), 429, 'upstream_rate_limited');
    expectAccepted(await send());
    expect(gateway.simulator.requests).toHaveLength(9);
  });

  it('after the cool-down, a successful trial call closes the circuit', async () => {
    await openAcmeCircuit();
    const headers = { 'Idempotency-Key': 'breaker-trial' };
    const refused = await send(BODY, headers);
    expectProblem(refused, 503, 'upstream_unavailable');
    await sleep(COOLDOWN_MS + 100);

    // The refused request was not recorded: the same key is the trial call, and it is sent.
    const trial = await send(BODY, headers);
    expectAccepted(trial);
    expect(gateway.simulator.requests).toHaveLength(THRESHOLD + 1);
    expectAccepted(await send());
    expectAccepted(await send());
    expect(gateway.simulator.requests).toHaveLength(THRESHOLD + 3);
  });

  it('after the cool-down, a failed trial call opens the circuit again', async () => {
    await openAcmeCircuit();
    await sleep(COOLDOWN_MS + 100);
    gateway.simulator.enqueueFault(fault500);
    expectProblem(await send(), 502, 'upstream_error');
    expect(gateway.simulator.requests).toHaveLength(THRESHOLD + 1);
    await expectOpen();
  });

  it('lets exactly one trial call through while it is in flight', async () => {
    await openAcmeCircuit();
    await sleep(COOLDOWN_MS + 100);
    gateway.simulator.enqueueFault({ delayMs: 250 }); // a slow success
    const trial = send().then((response) => response);
    await sleep(60);
    const others = await Promise.all([1, 2, 3].map(() => send().then((response) => response)));
    for (const response of others) {
      expectProblem(response, 503, 'upstream_unavailable');
      expect(response.headers['retry-after']).toBe('1');
    }
    expectAccepted(await trial);
    expect(gateway.simulator.requests).toHaveLength(THRESHOLD + 1);
    expectAccepted(await send());
  });
});
