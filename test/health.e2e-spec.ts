import { startGatewayWithSimulator } from './support/gateway';

describe('health (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator();
  });
  afterAll(() => gateway.close());

  it('is live', async () => {
    const response = await gateway.http().get('/health/live').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
    expect(response.headers['x-request-id']).toBeDefined();
  });

  it('is ready with its tenants loaded', async () => {
    const response = await gateway.http().get('/health/ready').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      details: { tenants: { status: 'up', tenants: 4 } },
    });
  });
});
