import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { createHmac } from 'node:crypto';
import {
  acmeTestEndpoints,
  BLOOIO_KEYS,
  KEYS,
  secretsNeverShown,
  testTenantsDocument,
  WEBHOOK_SECRETS,
} from './support/tenants.fixture';

describe('logs (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  const secretText = 'the secret launch date is friday';
  /** The X-Blooio-Signature headers sent: never logged. */
  const signatures: string[] = [];

  beforeAll(async () => {
    // acme has its own endpoints too: their secrets must never be logged either.
    gateway = await startGatewayWithSimulator({
      logLevel: 'trace',
      tenants: testTenantsDocument({ acmeWebhooks: acmeTestEndpoints() }),
    });
    const send = (key: string, body: object) =>
      gateway
        .http()
        .post('/v1/messages')
        .set({ ...bearer(key), 'x-request-id': `log-${Math.random()}` })
        .send(body);
    await send(KEYS.acmeOrders, { recipients: ['+15551234567'], text: secretText }).expect(202);
    await send(KEYS.globex, { recipients: ['+15551234567'], text: secretText }).expect(202);
    await send(KEYS.acmeReadOnly, { recipients: ['+15551234567'], text: secretText }).expect(403);
    await send('bgw_wrongKey00000000000000000000000000000000', {
      recipients: ['+1555'],
      text: secretText,
    }).expect(401);
    await send(KEYS.acmeOrders, { recipients: ['nope'], text: secretText }).expect(400);
    await send(KEYS.initech, { recipients: ['+15551234567'], text: secretText }).expect(502);
    gateway.simulator.enqueueFault({
      status: 403,
      body: {
        error: 'ApiError',
        message: `bad key ${BLOOIO_KEYS.acme}`,
        status: 403,
        code: 'forbidden_number',
      },
    });
    await send(KEYS.acmeOrders, { recipients: ['+15551234567'], text: secretText }).expect(403);
    // Blooio's webhooks: one signed, one signed with a wrong secret, one unsigned.
    const webhook = JSON.stringify({
      event: 'message.received',
      message_id: 'msg_logsSuite1',
      external_id: '+15551234567',
      internal_id: '+15550001111',
      is_group: false,
      text: secretText,
    });
    const t = Math.floor(Date.now() / 1000);
    for (const secret of [WEBHOOK_SECRETS.acme, 'whsec_wrongSecretOfAnAttacker00', undefined]) {
      const signature = secret
        ? `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${webhook}`).digest('hex')}`
        : undefined;
      signatures.push(...(signature ? [signature] : []));
      await gateway
        .http()
        .post('/webhooks/blooio/acme')
        .set({
          'content-type': 'application/json',
          ...(signature && { 'x-blooio-signature': signature }),
        })
        .send(webhook)
        .expect(secret === WEBHOOK_SECRETS.acme ? 204 : 401);
    }
  });
  afterAll(() => gateway.close());

  it('never holds a key, a key digest or the Blooio keys, even at trace level', () => {
    const secrets = [
      ...secretsNeverShown(),
      ...signatures,
      ...signatures.map((signature) => signature.split('v1=')[1]),
      'Bearer ',
    ];
    expect(signatures).toHaveLength(2);
    expect(gateway.logs.lines.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(gateway.logs.text).not.toContain(secret);
  });

  it('never holds the message text', () => {
    expect(gateway.logs.text).not.toContain(secretText);
  });

  it('writes one JSON line per request with tenant, key id, route, status, code and latency', () => {
    const requests = gateway.logs
      .records()
      .filter((r) => r.msg === 'request' && r.route === '/v1/messages');
    expect(requests).toHaveLength(7);
    expect(requests[0]).toMatchObject({
      level: 'info',
      requestId: expect.stringMatching(/^log-/),
      method: 'POST',
      status: 202,
      tenant: 'acme',
      keyId: 'orders-service',
      latencyMs: expect.any(Number),
    });
    expect(requests.map((r) => [r.status, r.code ?? null])).toEqual([
      [202, null],
      [202, null],
      [403, 'forbidden'],
      [401, 'unauthenticated'],
      [400, 'validation_failed'],
      [502, 'upstream_auth_failed'],
      [403, 'upstream_rejected'],
    ]);
    expect(requests[0]).toMatchObject({ attempts: 1, upstreamStatus: 202 });
    // Refused before the send began (auth, scope, recipients): no call to Blooio, nothing to report.
    const refused = requests.slice(2, 5).map((r) => [r.attempts ?? null, r.upstreamStatus ?? null]);
    expect(refused).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(requests[5]).toMatchObject({ tenant: 'initech', upstreamStatus: 401, attempts: 1 });
    expect(requests[6]).toMatchObject({ upstreamStatus: 403, attempts: 1 });
  });
});

describe('logs: the upstream side of a request (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  const distinctiveText = 'zebra-quartz-7731 meet me behind the old mill';
  const body = { recipients: ['+15551234567'], text: distinctiveText };
  const fault500 = {
    status: 500,
    body: { error: 'ApiError', message: 'Internal error', status: 500 },
  };
  const send = (requestId: string, headers: Record<string, string> = {}) =>
    gateway
      .http()
      .post('/v1/messages')
      .set({ ...bearer(KEYS.acmeOrders), 'x-request-id': requestId, ...headers })
      .send(body);
  /** The one request line of this request id. */
  const requestLine = (requestId: string) => {
    const lines = gateway.logs
      .records()
      .filter((record) => record.msg === 'request' && record.requestId === requestId);
    expect(lines).toHaveLength(1);
    return lines[0];
  };

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({
      logLevel: 'debug',
      env: { BLOOIO_RETRY_BASE_DELAY_MS: '10', BLOOIO_RETRY_MAX_DELAY_MS: '50' },
    });
    await send('up-ok').expect(202);
    gateway.simulator.enqueueFault(fault500);
    await send('up-retried').expect(202);
    gateway.simulator.enqueueFault(fault500, fault500, fault500);
    await send('up-exhausted').expect(502);
    await send('up-first', { 'Idempotency-Key': 'logs-replay-key' }).expect(202);
    const upstreamCalls = gateway.simulator.requests.length;
    const replay = await send('up-replay', { 'Idempotency-Key': 'logs-replay-key' }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(gateway.simulator.requests).toHaveLength(upstreamCalls);
    await gateway.http().get('/metrics').set('x-request-id', 'up-metrics').expect(200);
  });
  afterAll(() => gateway.close());

  it('logs one attempt and Blooio 202 for a send accepted at once', () => {
    expect(requestLine('up-ok')).toMatchObject({
      level: 'info',
      route: '/v1/messages',
      status: 202,
      tenant: 'acme',
      attempts: 1,
      upstreamStatus: 202,
    });
  });

  it("logs two attempts and Blooio's last status (202) for a send retried after a 500", () => {
    expect(requestLine('up-retried')).toMatchObject({
      level: 'info',
      status: 202,
      attempts: 2,
      upstreamStatus: 202,
    });
  });

  it("logs every attempt and Blooio's last status (500) for a send that ran out of retries", () => {
    expect(requestLine('up-exhausted')).toMatchObject({
      level: 'warn',
      status: 502,
      code: 'upstream_error',
      attempts: 3,
      upstreamStatus: 500,
    });
  });

  it('logs a replay as replayed, with no call to Blooio (no attempts, no upstreamStatus)', () => {
    expect(requestLine('up-first')).not.toHaveProperty('replayed');
    const replay = requestLine('up-replay');
    expect(replay).toMatchObject({ level: 'info', status: 200, replayed: true });
    expect(replay).not.toHaveProperty('attempts');
    expect(replay).not.toHaveProperty('upstreamStatus');
  });

  it('logs a /metrics scrape at debug, not info', () => {
    expect(requestLine('up-metrics')).toMatchObject({
      level: 'debug',
      route: '/metrics',
      status: 200,
    });
    const scrapes = gateway.logs.records().filter((record) => record.route === '/metrics');
    expect(scrapes.map((record) => record.level)).toEqual(['debug']);
  });

  it('never logs the message text, at info or any other level', () => {
    const info = gateway.logs.lines.filter((line) => line.includes('"level":"info"'));
    expect(info.length).toBeGreaterThanOrEqual(4);
    for (const line of info) expect(line).not.toContain(distinctiveText);
    expect(gateway.logs.text).not.toContain('zebra-quartz-7731');
  });
});

describe('an answer whose caller hung up first (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator();
  });
  afterAll(() => gateway.close());

  it('is still logged (clientGone) and counted once the send is done: the message was sent', async () => {
    gateway.simulator.enqueueFault({ delayMs: 400 });
    const hungUp = await gateway
      .http()
      .post('/v1/messages')
      .set({ ...bearer(KEYS.acmeOrders), 'x-request-id': 'hung-up-1' })
      .timeout(100)
      .send({ recipients: ['+15551234567'], text: 'hi' })
      .then(
        () => false,
        (error: { timeout?: number }) => error.timeout !== undefined,
      );
    expect(hungUp).toBe(true);
    await sleep(700);

    expect(gateway.simulator.requests).toHaveLength(1);
    const lines = gateway.logs.records().filter((r) => r.requestId === 'hung-up-1');
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request',
        status: 202,
        route: '/v1/messages',
        tenant: 'acme',
        clientGone: true,
        attempts: 1,
      }),
    ]);
    const metrics = await gateway.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /bgw_http_requests_total\{method="POST",route="\/v1\/messages",status="202",tenant="acme"\} 1\n/,
    );
  });
});
