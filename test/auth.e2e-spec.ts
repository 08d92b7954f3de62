import { bearer, startGatewayWithSimulator } from './support/gateway';
import { KEYS } from './support/tenants.fixture';

describe('authentication and scopes (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  const body = { recipients: ['+15551234567'], text: 'hi' };

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator();
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  const NO_HEADER = 'Send the header Authorization: Bearer <gateway API key>';
  const NO_SCHEME =
    'The Authorization header lacks the Bearer scheme: send Bearer <gateway API key>';
  const TWICE =
    'The Authorization header says Bearer twice: send Bearer <gateway API key>, with the key pasted without its own Bearer prefix';
  const UNKNOWN = 'The API key is not known';

  it.each([
    ['no Authorization header', {}, NO_HEADER],
    ['an empty header', { authorization: '' }, NO_SCHEME],
    [
      'another scheme',
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      NO_SCHEME,
    ],
    ['a bare key', { authorization: KEYS.acmeOrders }, NO_SCHEME],
    ['a pasted Bearer prefix', bearer(`Bearer ${KEYS.acmeOrders}`), TWICE],
    [
      'a pasted prefix in another case',
      { authorization: `bearer BEARER ${KEYS.acmeOrders}` },
      TWICE,
    ],
    ['an unknown key', bearer('bgw_notAKeyThatExists000000000000000000000'), UNKNOWN],
    ['a key with a character appended', bearer(`${KEYS.acmeOrders}x`), UNKNOWN],
    ['a Blooio key instead of a gateway key', bearer('bl_test_acme_blooio_key_0001'), UNKNOWN],
  ])(
    'answers 401 unauthenticated for %s, naming the fix',
    async (_case, headers: Record<string, string>, detail) => {
      const response = await gateway
        .http()
        .post('/v1/messages')
        .set(headers)
        .send(body)
        .expect(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="blooio-gateway"/);
      expect(response.body).toMatchObject({
        status: 401,
        code: 'unauthenticated',
        detail,
        requestId: response.headers['x-request-id'],
      });
      // The answer says nothing of any key: not the one sent, not one that exists.
      for (const key of Object.values(KEYS)) expect(response.text).not.toContain(key);
      expect(gateway.simulator.requests).toHaveLength(0);
    },
  );

  it('checks the key before the body: an invalid body without a key is still 401', async () => {
    await gateway.http().post('/v1/messages').send({ nonsense: true }).expect(401);
  });

  it('answers 403 forbidden when the key lacks messages:send', async () => {
    const response = await gateway
      .http()
      .post('/v1/messages')
      .set(bearer(KEYS.acmeReadOnly))
      .send(body)
      .expect(403);
    expect(response.body).toMatchObject({
      code: 'forbidden',
      detail: expect.stringContaining('messages:send'),
    });
    expect(gateway.simulator.requests).toHaveLength(0);
  });

  it('accepts every listed key of a tenant (rotation without downtime)', async () => {
    await gateway.http().post('/v1/messages').set(bearer(KEYS.acmeOrders)).send(body).expect(202);
    await gateway.http().post('/v1/messages').set(bearer(KEYS.acmeRotated)).send(body).expect(202);
    const [first, second] = gateway.simulator.requests;
    expect(first.headers.authorization).toBe(second.headers.authorization);
  });

  it('accepts the scheme in any case', async () => {
    await gateway
      .http()
      .post('/v1/messages')
      .set({ authorization: `bearer ${KEYS.acmeOrders}` })
      .send(body)
      .expect(202);
  });

  it('needs no key for health and docs', async () => {
    await gateway.http().get('/health/live').expect(200);
    await gateway.http().get('/health/ready').expect(200);
    await gateway.http().get('/docs/openapi.json').expect(200);
  });
});
