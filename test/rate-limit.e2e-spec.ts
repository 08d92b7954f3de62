import { bearer, startGatewayWithSimulator } from './support/gateway';
import { KEYS, testTenantsDocument } from './support/tenants.fixture';

describe('per-tenant rate limits (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  const body = { recipients: ['+15551234567'], text: 'hi' };
  const send = (key: string) => gateway.http().post('/v1/messages').set(bearer(key)).send(body);

  beforeAll(async () => {
    // acme: 3/s from its own rateLimit; globex: the env defaults (50/s).
    gateway = await startGatewayWithSimulator({
      tenants: testTenantsDocument({ acmeRateLimit: { perSecond: 3, perMinute: 100 } }),
      env: { RATE_LIMIT_PER_SECOND: '50', RATE_LIMIT_PER_MINUTE: '1000' },
    });
  });
  afterAll(() => gateway.close());

  it("answers 429 rate_limited with Retry-After once a tenant's limit is used, without calling Blooio", async () => {
    gateway.simulator.clear();
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await send(KEYS.acmeOrders)).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    expect(gateway.simulator.requests).toHaveLength(3);

    const limited = await send(KEYS.acmeOrders).expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({ code: 'rate_limited', status: 429 });
  });

  it('shares one budget between all keys of a tenant', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const statuses = [];
    for (const key of [KEYS.acmeOrders, KEYS.acmeRotated, KEYS.acmeOrders, KEYS.acmeRotated]) {
      statuses.push((await send(key)).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it('never slows another tenant', async () => {
    // acme is limited right now (previous test); globex still sends at its own rate.
    await send(KEYS.acmeOrders).expect(429);
    const results = await Promise.all(Array.from({ length: 20 }, () => send(KEYS.globex)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
  });

  it('does not count health probes', async () => {
    for (let i = 0; i < 10; i += 1) await gateway.http().get('/health/ready').expect(200);
  });
});
