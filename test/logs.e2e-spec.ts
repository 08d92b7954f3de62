import { hashApiKey } from '../src/tenants/api-key';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { BLOOIO_KEYS, KEYS } from './support/tenants.fixture';

describe('logs (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  const secretText = 'the secret launch date is friday';

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator({ logLevel: 'trace' });
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
  });
  afterAll(() => gateway.close());

  it('never holds a key, a key digest or the Blooio keys, even at trace level', () => {
    const secrets = [
      ...Object.values(KEYS),
      ...Object.values(KEYS).map(hashApiKey),
      ...Object.values(BLOOIO_KEYS),
      'Bearer ',
    ];
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
    expect(requests[5]).toMatchObject({ tenant: 'initech', upstreamStatus: 401 });
  });
});
