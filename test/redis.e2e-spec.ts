import { setTimeout as sleep } from 'node:timers/promises';
import { BlooioSimulator } from '../src/sandbox/blooio-simulator';
import { hashApiKey } from '../src/common/api-key';
import { bearer, startGateway, type TestGateway } from './support/gateway';
import { expectProblem } from './support/problem';
import { startGatewayProcess } from './support/process';
import {
  deleteKeys,
  describeWithRedis,
  dumpKeys,
  replicaConnection,
  TEST_REDIS_URL,
  uniqueKeyPrefix,
} from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import { BLOOIO_KEYS, KEYS, testTenantsDocument } from './support/tenants.fixture';

jest.setTimeout(30_000);

const message = (text = 'hello') => ({ recipients: ['+15551234567'], text });
const ACME_PER_MINUTE = 6;

describeWithRedis('replicas sharing one Redis (e2e)', () => {
  let simulator: BlooioSimulator;
  let prefix: string;
  const gateways: TestGateway[] = [];

  /** One more replica on the same Redis prefix and the same simulator. */
  async function replica(
    env: Record<string, string> = {},
    tenants = testTenantsDocument({
      acmeRateLimit: { perSecond: 1_000, perMinute: ACME_PER_MINUTE },
    }),
  ): Promise<TestGateway> {
    const gateway = await startGateway({
      tenants,
      env: {
        BLOOIO_BASE_URL: simulator.baseUrl,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        ...env,
      },
    });
    gateways.push(gateway);
    return gateway;
  }

  const send = (gateway: TestGateway, key: string = KEYS.acmeOrders, idempotencyKey?: string) =>
    gateway
      .http()
      .post('/v1/messages')
      .set({ ...bearer(key), ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) })
      .send(message());

  beforeEach(async () => {
    simulator = await BlooioSimulator.start({
      apiKeys: [BLOOIO_KEYS.acme, BLOOIO_KEYS.globex],
      statusTimeline: { sentAfterMs: 50, deliveredAfterMs: 100 },
    });
    prefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
    await simulator.close();
    await deleteKeys(prefix);
  });

  it('gives a tenant its limit once across replicas, not once per replica', async () => {
    const [a, b] = [await replica(), await replica()];
    const statuses: number[] = [];
    for (let i = 0; i < 2 * ACME_PER_MINUTE; i += 1) {
      const response = await send(i % 2 === 0 ? a : b);
      statuses.push(response.status);
      if (response.status === 429) expectProblem(response, 429, 'rate_limited');
    }
    expect(statuses.filter((status) => status === 202)).toHaveLength(ACME_PER_MINUTE);
    expect(statuses.slice(ACME_PER_MINUTE)).toEqual(Array(ACME_PER_MINUTE).fill(429));
    expect(simulator.requests).toHaveLength(ACME_PER_MINUTE);

    // Another tenant's budget is its own.
    expect((await send(a, KEYS.globex)).status).toBe(202);
    expect((await send(b, KEYS.globex)).status).toBe(202);
  });

  it('holds the shared limit under concurrent bursts on both replicas', async () => {
    const [a, b] = [await replica(), await replica()];
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(i % 2 === 0 ? a : b).then((r) => r.status)),
    );
    expect(burst.filter((status) => status === 202)).toHaveLength(ACME_PER_MINUTE);
    expect(burst.filter((status) => status === 429)).toHaveLength(20 - ACME_PER_MINUTE);
    expect(simulator.requests).toHaveLength(ACME_PER_MINUTE);
  });

  it('sends once when the same key arrives on both replicas at the same moment', async () => {
    const [a, b] = [
      await replica({}, testTenantsDocument()),
      await replica({}, testTenantsDocument()),
    ];
    simulator.enqueueFault({ delayMs: 300 });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(i % 2 === 0 ? a : b, KEYS.acmeOrders, 'order-race').then((r) => r.status),
      ),
    );
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    expect(simulator.requests).toHaveLength(1);
  });

  it('answers a replay on another replica, byte for byte, without calling Blooio again', async () => {
    const [a, b] = [await replica(), await replica()];
    const first = await send(a, KEYS.acmeOrders, 'order-42');
    expect(first.status).toBe(202);
    const replay = await send(b, KEYS.acmeOrders, 'order-42');
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(first.text);
    expect(simulator.requests).toHaveLength(1);
  });

  it('refuses a key still in flight on another replica (409) and a changed request (422)', async () => {
    const [a, b] = [await replica(), await replica()];
    simulator.enqueueFault({ delayMs: 600 });
    // supertest sends on then(): start it now, await it later.
    const slow = send(a, KEYS.acmeOrders, 'order-43').then((response) => response);
    await waitFor(() => simulator.requests.length === 1);

    const meanwhile = await send(b, KEYS.acmeOrders, 'order-43');
    expectProblem(meanwhile, 409, 'idempotency_key_in_use');
    expect(meanwhile.headers['retry-after']).toBe('1');
    expect((await slow).status).toBe(202);

    const changed = await b
      .http()
      .post('/v1/messages')
      .set({ ...bearer(KEYS.acmeOrders), 'idempotency-key': 'order-43' })
      .send(message('something else'));
    expectProblem(changed, 422, 'idempotency_key_reused');
    expect(simulator.requests).toHaveLength(1);
  });

  it('keeps tenants apart: the same Idempotency-Key is two messages for two tenants', async () => {
    const [a, b] = [await replica(), await replica()];
    expect((await send(a, KEYS.acmeOrders, 'shared-key')).status).toBe(202);
    expect((await send(b, KEYS.globex, 'shared-key')).status).toBe(202);
    expect(simulator.requests).toHaveLength(2);
  });

  it('writes only keys under REDIS_KEY_PREFIX, each with a TTL, holding no secret', async () => {
    const a = await replica();
    await send(a, KEYS.acmeOrders, 'order-44');
    await send(a, KEYS.globex);

    const dump = await dumpKeys(prefix);
    const names = [...dump.keys()].map((key) => key.slice(prefix.length));
    expect(names).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^idem:acme:[0-9a-f]{64}$/),
        '{second:acme:second}:hits',
        '{minute:globex:minute}:hits',
        expect.stringMatching(/^msg:acme:msg_/),
        expect.stringMatching(/^msgby:[0-9a-f]{32}:msg_/),
      ]),
    );
    for (const name of names) {
      expect(name).toMatch(
        /^(idem:(acme|globex):[0-9a-f]{64}|\{(second|minute):(acme|globex):\w+\}:(hits|blocked)|msg:(acme|globex):[\w-]+|msgby:[0-9a-f]{32}:[\w-]+)$/,
      );
    }
    // Every key expires on its own: records, the holder index and the windows alike.
    const ttls = await replicaConnection(prefix);
    try {
      for (const name of names) {
        expect({ name, expires: (await ttls.pttl(name)) > 0 }).toEqual({ name, expires: true });
      }
    } finally {
      ttls.disconnect();
    }
    const stored = [...dump].flat().join('\n');
    for (const secret of [...Object.values(KEYS), ...Object.values(BLOOIO_KEYS)]) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(hashApiKey(secret));
    }
    expect(stored).not.toMatch(/bearer/i);
    // The record is a replayable answer: status, headers and body, as the caller saw it.
    const record = JSON.parse(
      dump.get(`${prefix}${names.find((n) => n.startsWith('idem:'))}`)!,
    ) as {
      response: string;
    };
    expect(JSON.parse(record.response)).toMatchObject({ status: 202, body: expect.any(String) });
  });

  /** A replica as a real process (`node dist/main.js`) on the same Redis prefix. */
  async function replicaProcess(upstream: BlooioSimulator, env: Record<string, string> = {}) {
    const { process: child, url } = await startGatewayProcess(testTenantsDocument(), {
      BLOOIO_BASE_URL: upstream.baseUrl,
      BLOOIO_MAX_RETRIES: '0',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      ...env,
    });
    const post = (idempotencyKey: string) =>
      fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: {
          ...bearer(KEYS.acmeOrders),
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(message()),
      });
    return { process: child, post };
  }

  it('frees the key of a request cut by the shutdown grace period before Redis closes', async () => {
    const hanging = await BlooioSimulator.start({ latencyMs: 10_000 });
    const draining = await replicaProcess(hanging, {
      BLOOIO_TIMEOUT_MS: '8000',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_GRACE_MS: '300',
    });
    try {
      const cut = draining.post('order-48').catch(() => 'connection cut');
      await waitFor(() => hanging.requests.length === 1);
      const signalledAt = Date.now();
      draining.process.child.kill('SIGTERM');
      expect(await cut).toBe('connection cut');
      expect(await draining.process.exited).toBe(0);
      // The call to Blooio was aborted at the cut, not awaited until its 8 s deadline.
      expect(Date.now() - signalledAt).toBeLessThan(2_500);
      // Closing Redis on purpose is not an outage.
      expect(draining.process.stdout()).not.toContain('Redis connection lost');

      // No lock left behind: another replica sends the same key at once.
      const survivor = await replica({}, testTenantsDocument());
      expect((await send(survivor, KEYS.acmeOrders, 'order-48')).status).toBe(202);
    } finally {
      draining.process.child.kill('SIGKILL');
      await hanging.close();
    }
  });

  it('frees the lock of a replica killed mid-request once its TTL ends', async () => {
    const hanging = await BlooioSimulator.start({ latencyMs: 10_000 });
    const doomed = await replicaProcess(hanging, { BLOOIO_TIMEOUT_MS: '1000' });
    try {
      // The send reaches Blooio and hangs there: the key is locked in Redis.
      const abandoned = doomed.post('order-45').catch(() => 'connection lost');
      await waitFor(() => hanging.requests.length === 1);
      const lockedAt = Date.now();
      doomed.process.child.kill('SIGKILL');
      expect(await abandoned).toBe('connection lost');

      // Another replica sees the lock, then takes the key once the lock's TTL (timeout + 5 s) ends.
      const survivor = await replica({}, testTenantsDocument());
      expectProblem(
        await send(survivor, KEYS.acmeOrders, 'order-45'),
        409,
        'idempotency_key_in_use',
      );
      let response = await send(survivor, KEYS.acmeOrders, 'order-45');
      while (response.status === 409 && Date.now() - lockedAt < 10_000) {
        await sleep(250);
        response = await send(survivor, KEYS.acmeOrders, 'order-45');
      }
      expect(response.status).toBe(202);
      const waitedMs = Date.now() - lockedAt;
      expect(waitedMs).toBeGreaterThan(4_500);
      expect(waitedMs).toBeLessThan(8_000);
      expect(simulator.requests).toHaveLength(1);
    } finally {
      doomed.process.child.kill('SIGKILL');
      await doomed.process.exited;
      await hanging.close();
    }
  });

  describe('when Redis goes away', () => {
    let proxy: TcpProxy;
    const redisUrl = new URL(TEST_REDIS_URL);

    beforeEach(async () => {
      proxy = await TcpProxy.start({
        host: redisUrl.hostname,
        port: Number(redisUrl.port || 6379),
      });
    });
    afterEach(() => proxy.close());

    it('turns not ready and refuses sends with 503 (fail closed), then recovers', async () => {
      const gateway = await replica({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      expect((await gateway.http().get('/health/ready')).status).toBe(200);
      expect((await send(gateway, KEYS.acmeOrders, 'order-46')).status).toBe(202);

      await proxy.cut();
      const ready = await gateway.http().get('/health/ready');
      expectProblem(ready, 503, 'not_ready');
      expect(ready.body.checks.redis).toMatchObject({ status: 'down' });
      expect((await gateway.http().get('/health/live')).status).toBe(200);

      for (const idempotencyKey of [undefined, 'order-47']) {
        const refused = await send(gateway, KEYS.acmeOrders, idempotencyKey);
        expectProblem(refused, 503, 'store_unavailable');
        expect(refused.headers['retry-after']).toBe('1');
      }
      expect(simulator.requests).toHaveLength(1);
      const metrics = await gateway.http().get('/metrics');
      expect(metrics.text).toContain('\nbgw_redis_up 0\n');
      expect(metrics.text).toContain(
        'bgw_http_problems_total{code="store_unavailable",tenant="acme"} 2',
      );

      await proxy.restore();
      await waitFor(async () => (await gateway.http().get('/health/ready')).status === 200, 8_000);
      expect((await send(gateway, KEYS.acmeOrders, 'order-47')).status).toBe(202);
      expect((await gateway.http().get('/metrics')).text).toContain('\nbgw_redis_up 1\n');
    });

    it('treats a Redis that hangs as down after REDIS_COMMAND_TIMEOUT_MS', async () => {
      const gateway = await replica({
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        REDIS_COMMAND_TIMEOUT_MS: '300',
      });
      expect((await send(gateway)).status).toBe(202);

      proxy.stall();
      const started = Date.now();
      expectProblem(await send(gateway), 503, 'store_unavailable');
      expect(Date.now() - started).toBeLessThan(1_500);
      expectProblem(await gateway.http().get('/health/ready'), 503, 'not_ready');
      expect((await gateway.http().get('/metrics')).text).toContain('\nbgw_redis_up 0\n');
      expect(simulator.requests).toHaveLength(1);
    });

    it('boots without Redis, not ready until it answers', async () => {
      await proxy.cut();
      const gateway = await replica({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      expectProblem(await gateway.http().get('/health/ready'), 503, 'not_ready');
      expectProblem(await send(gateway), 503, 'store_unavailable');

      await proxy.restore();
      await waitFor(async () => (await gateway.http().get('/health/ready')).status === 200, 8_000);
      expect((await send(gateway)).status).toBe(202);
    });
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // not yet (a refused connection, say)
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
