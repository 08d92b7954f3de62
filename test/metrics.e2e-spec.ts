import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import type { SimulatedFault } from '../src/sandbox/blooio-simulator';
import { hashApiKey } from '../src/common/api-key';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { BLOOIO_KEYS, KEYS, testTenantsDocument } from './support/tenants.fixture';

/**
 * GET /metrics (DESIGN.md §2): Prometheus text, no auth, and counters that say exactly what the
 * gateway answered, per route pattern and tenant, without a key, a digest or a caller's
 * Idempotency-Key anywhere in it. Each describe has a gateway of its own (fresh counters).
 */

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;
type Labels = Record<string, string | number>;

const BODY = { recipients: ['+15551234567'], text: 'metrics hello' };
const FAST_BACKOFF = { BLOOIO_RETRY_BASE_DELAY_MS: '10', BLOOIO_RETRY_MAX_DELAY_MS: '50' };
const FIXTURE_TENANTS = ['acme', 'globex', 'initech'];
const fault500: SimulatedFault = {
  status: 500,
  body: { error: 'ApiError', message: 'Internal error', status: 500 },
};

/** Every bgw_ metric the gateway declares, with its Prometheus type (bgw_redis_up aside). */
const BGW_METRICS: [string, string][] = [
  ['bgw_http_requests_total', 'counter'],
  ['bgw_http_request_duration_seconds', 'histogram'],
  ['bgw_http_problems_total', 'counter'],
  ['bgw_rate_limit_rejections_total', 'counter'],
  ['bgw_idempotency_replays_total', 'counter'],
  ['bgw_idempotency_conflicts_total', 'counter'],
  ['bgw_upstream_request_duration_seconds', 'histogram'],
  ['bgw_upstream_retries_total', 'counter'],
  ['bgw_upstream_circuit_rejections_total', 'counter'],
  ['bgw_upstream_circuit_state', 'gauge'],
];

// ---------------------------------------------------------------------------------------------
// Exposition text → samples

/** `name{a="1",b="2"}`, label names sorted, so a lookup never depends on the emitted order. */
function series(name: string, labels: Labels = {}): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((label) => `${label}="${String(labels[label])}"`);
  return pairs.length > 0 ? `${name}{${pairs.join(',')}}` : name;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Prometheus text exposition format → `name{labels}` → value; throws on a line it cannot read. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText = '', value] = match;
    const labels: Labels = {};
    for (const [, label, raw] of labelText.matchAll(LABEL_PAIR)) labels[label] = raw;
    const key = series(name, labels);
    if (samples.has(key)) throw new Error(`sample twice: ${key}`);
    samples.set(key, value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value));
  }
  return samples;
}

/** Every sample of one metric (exactly that name, not its _bucket/_sum/_count children). */
function family(samples: Map<string, number>, name: string): Record<string, number> {
  return Object.fromEntries(
    [...samples].filter(([key]) => key === name || key.startsWith(`${name}{`)),
  );
}

/** `expected` as a family: series key → value. */
function samplesOf(name: string, expected: [Labels, number][]): Record<string, number> {
  return Object.fromEntries(expected.map(([labels, value]) => [series(name, labels), value]));
}

/** Every value a `tenant` label takes anywhere in the text. */
function tenantLabels(text: string): Set<string> {
  return new Set([...text.matchAll(/[{,]tenant="([^"]*)"/g)].map(([, tenant]) => tenant));
}

// ---------------------------------------------------------------------------------------------
// Requests

function sender(current: () => Gateway) {
  return (
    body: object = BODY,
    headers: Record<string, string> = {},
    key: string = KEYS.acmeOrders,
  ) =>
    current()
      .http()
      .post('/v1/messages')
      .set({ ...bearer(key), ...headers })
      .send(body);
}

async function scrape(gateway: Gateway): Promise<{ text: string; samples: Map<string, number> }> {
  const response = await gateway.http().get('/metrics').expect(200);
  return { text: response.text, samples: parseMetrics(response.text) };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Nothing secret: no gateway or Blooio key, no digest of one, no Authorization, no given strings. */
function expectNoSecrets(text: string, extra: readonly string[] = []): void {
  const keys = [...Object.values(KEYS), ...Object.values(BLOOIO_KEYS)];
  for (const secret of [...keys, ...keys.map(hashApiKey), ...extra]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/bearer/i);
  expect(text).not.toMatch(/authorization/i);
}

/** Tenant labels are tenant ids from the fixture, or "none" before auth; these ones at least. */
function expectTenantLabels(text: string, seen: string[]): void {
  const tenants = [...tenantLabels(text)].sort();
  for (const tenant of tenants) expect([...FIXTURE_TENANTS, 'none']).toContain(tenant);
  expect(tenants).toEqual(expect.arrayContaining(seen));
}

const expectReplay = (response: Response) => {
  expect(response.status).toBe(200);
  expect(response.headers['idempotent-replayed']).toBe('true');
};

describe('Prometheus metrics (e2e)', () => {
  describe('the exposition', () => {
    let gateway: Gateway;

    beforeAll(async () => {
      gateway = await startGatewayWithSimulator();
    });
    afterAll(() => gateway.close());

    it('answers 200 in the Prometheus text format, without a key', async () => {
      const response = await gateway.http().get('/metrics').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(() => parseMetrics(response.text)).not.toThrow();
    });

    it('does not need the key even when a wrong one is sent', async () => {
      await gateway
        .http()
        .get('/metrics')
        .set(bearer('bgw_wrongKey00000000000000000000000000000000'))
        .expect(200);
    });

    it('includes the default process and Node.js metrics', async () => {
      const { text, samples } = await scrape(gateway);
      expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
      expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
      expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
      expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(samples.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(samples.get('process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
    });

    it.each(BGW_METRICS)('declares %s (%s) with HELP and TYPE lines', async (name, type) => {
      const { text } = await scrape(gateway);
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.*$`, 'm'));
      expect(text).toMatch(new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
    });

    it('has no bgw_redis_up sample when REDIS_URL is not set', async () => {
      const { samples } = await scrape(gateway);
      expect(family(samples, 'bgw_redis_up')).toEqual({});
    });

    it('counts its own scrapes as GET /metrics, tenant none', async () => {
      const before = (await scrape(gateway)).samples;
      const key = series('bgw_http_requests_total', {
        method: 'GET',
        route: '/metrics',
        status: 200,
        tenant: 'none',
      });
      const after = (await scrape(gateway)).samples;
      expect(after.get(key)).toBe((before.get(key) ?? 0) + 1);
    });
  });

  describe('requests, problems, idempotency and retries', () => {
    let gateway: Gateway;
    const send = sender(() => gateway);
    const REPLAY_KEY = 'metrics-replay-key-7f3a9c';
    const IN_USE_KEY = 'metrics-in-use-key-91c2d4';
    let text: string;
    let samples: Map<string, number>;
    let upstreamKeys: string[];

    beforeAll(async () => {
      gateway = await startGatewayWithSimulator({ env: { ...FAST_BACKOFF } });
      await send().expect(202);
      await gateway.http().post('/v1/messages').send(BODY).expect(401);
      await send(BODY, {}, KEYS.acmeReadOnly).expect(403);

      await send(BODY, { 'Idempotency-Key': REPLAY_KEY }).expect(202);
      expectReplay(await send(BODY, { 'Idempotency-Key': REPLAY_KEY }));
      await send({ ...BODY, text: 'another text' }, { 'Idempotency-Key': REPLAY_KEY }).expect(422);

      // The first send of IN_USE_KEY is held by Blooio while the second one arrives.
      gateway.simulator.enqueueFault({ delayMs: 800 });
      const reached = gateway.simulator.requests.length + 1;
      const first = send(BODY, { 'Idempotency-Key': IN_USE_KEY }).then((response) => response);
      await until(() => gateway.simulator.requests.length >= reached);
      const second = await send(BODY, { 'Idempotency-Key': IN_USE_KEY });
      expect(second.status).toBe(409);
      expect(second.body.code).toBe('idempotency_key_in_use');
      expect((await first).status).toBe(202);

      // Blooio fails once, the retry is accepted.
      gateway.simulator.enqueueFault(fault500);
      await send().expect(202);

      await gateway.http().get('/nope').expect(404);
      // A known path with the wrong method (and its trailing-slash twin) is that route's 405.
      await gateway.http().get('/v1/messages').expect(405);
      await gateway.http().delete('/health/live/').expect(405);
      await send(BODY, {}, KEYS.globex).expect(202);

      upstreamKeys = gateway.simulator.requests.map(
        (request) => request.headers['idempotency-key'],
      );
      ({ text, samples } = await scrape(gateway));
    });
    afterAll(() => gateway.close());

    it('counts every answer by method, route pattern, status and tenant', () => {
      const route = '/v1/messages';
      expect(family(samples, 'bgw_http_requests_total')).toEqual(
        samplesOf('bgw_http_requests_total', [
          [{ method: 'POST', route, status: 202, tenant: 'acme' }, 4],
          [{ method: 'POST', route, status: 202, tenant: 'globex' }, 1],
          [{ method: 'POST', route, status: 200, tenant: 'acme' }, 1],
          [{ method: 'POST', route, status: 401, tenant: 'none' }, 1],
          [{ method: 'POST', route, status: 403, tenant: 'acme' }, 1],
          [{ method: 'POST', route, status: 409, tenant: 'acme' }, 1],
          [{ method: 'POST', route, status: 422, tenant: 'acme' }, 1],
          [{ method: 'GET', route: 'unmatched', status: 404, tenant: 'none' }, 1],
          [{ method: 'GET', route, status: 405, tenant: 'none' }, 1],
          [{ method: 'DELETE', route: '/health/live', status: 405, tenant: 'none' }, 1],
        ]),
      );
    });

    it('times every answer by method and route pattern', () => {
      const post = { method: 'POST', route: '/v1/messages' };
      expect(samples.get(series('bgw_http_request_duration_seconds_count', post))).toBe(10);
      expect(
        samples.get(series('bgw_http_request_duration_seconds_bucket', { ...post, le: '+Inf' })),
      ).toBe(10);
      expect(samples.get(series('bgw_http_request_duration_seconds_sum', post))).toBeGreaterThan(0);
      const unmatched = { method: 'GET', route: 'unmatched' };
      expect(samples.get(series('bgw_http_request_duration_seconds_count', unmatched))).toBe(1);
      const wrongMethod = { method: 'GET', route: '/v1/messages' };
      expect(samples.get(series('bgw_http_request_duration_seconds_count', wrongMethod))).toBe(1);
      // Raw URLs never become a route label.
      expect(text).not.toContain('route="/nope"');
    });

    it('counts problems by code and tenant', () => {
      expect(family(samples, 'bgw_http_problems_total')).toEqual(
        samplesOf('bgw_http_problems_total', [
          [{ code: 'unauthenticated', tenant: 'none' }, 1],
          [{ code: 'forbidden', tenant: 'acme' }, 1],
          [{ code: 'idempotency_key_reused', tenant: 'acme' }, 1],
          [{ code: 'idempotency_key_in_use', tenant: 'acme' }, 1],
          [{ code: 'not_found', tenant: 'none' }, 1],
          [{ code: 'method_not_allowed', tenant: 'none' }, 2],
        ]),
      );
    });

    it('counts replays and conflicts by tenant (and reason)', () => {
      expect(family(samples, 'bgw_idempotency_replays_total')).toEqual(
        samplesOf('bgw_idempotency_replays_total', [[{ tenant: 'acme' }, 1]]),
      );
      expect(family(samples, 'bgw_idempotency_conflicts_total')).toEqual(
        samplesOf('bgw_idempotency_conflicts_total', [
          [{ tenant: 'acme', reason: 'in_use' }, 1],
          [{ tenant: 'acme', reason: 'reused' }, 1],
        ]),
      );
      expect(family(samples, 'bgw_rate_limit_rejections_total')).toEqual({});
    });

    it('times each HTTP call to Blooio by tenant and outcome, and counts the retry', () => {
      // acme: 4 sends reached Blooio, one of them twice (500, then accepted).
      expect(gateway.simulator.requests).toHaveLength(6);
      const count = 'bgw_upstream_request_duration_seconds_count';
      expect(family(samples, count)).toEqual(
        samplesOf(count, [
          [{ tenant: 'acme', outcome: 'accepted' }, 4],
          [{ tenant: 'acme', outcome: 'server_error' }, 1],
          [{ tenant: 'globex', outcome: 'accepted' }, 1],
        ]),
      );
      const slow = { tenant: 'acme', outcome: 'accepted' };
      expect(
        samples.get(series('bgw_upstream_request_duration_seconds_sum', slow)),
      ).toBeGreaterThan(0.8);
      expect(family(samples, 'bgw_upstream_retries_total')).toEqual(
        samplesOf('bgw_upstream_retries_total', [[{ tenant: 'acme' }, 1]]),
      );
      expect(family(samples, 'bgw_upstream_circuit_rejections_total')).toEqual({});
      expect(family(samples, 'bgw_upstream_circuit_state')).toEqual(
        samplesOf('bgw_upstream_circuit_state', [
          [{ tenant: 'acme' }, 0],
          [{ tenant: 'globex' }, 0],
        ]),
      );
    });

    it('holds no key, no key digest, no Authorization and no Idempotency-Key', () => {
      expect(upstreamKeys.length).toBeGreaterThan(0);
      expectNoSecrets(text, [REPLAY_KEY, IN_USE_KEY, ...upstreamKeys]);
    });

    it('labels tenants with fixture tenant ids or "none" only', () => {
      expectTenantLabels(text, ['acme', 'globex', 'none']);
    });
  });

  describe("a tenant's rate limit", () => {
    let gateway: Gateway;
    const send = sender(() => gateway);

    beforeAll(async () => {
      gateway = await startGatewayWithSimulator({
        tenants: testTenantsDocument({ acmeRateLimit: { perSecond: 2, perMinute: 100 } }),
      });
    });
    afterAll(() => gateway.close());

    it('counts a 429 rate_limited as a rejection of that tenant only', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await send()).status);
      expect(statuses).toEqual([202, 202, 429]);
      await send(BODY, {}, KEYS.globex).expect(202);

      const { text, samples } = await scrape(gateway);
      expect(family(samples, 'bgw_rate_limit_rejections_total')).toEqual(
        samplesOf('bgw_rate_limit_rejections_total', [[{ tenant: 'acme' }, 1]]),
      );
      expect(family(samples, 'bgw_http_problems_total')).toEqual(
        samplesOf('bgw_http_problems_total', [[{ code: 'rate_limited', tenant: 'acme' }, 1]]),
      );
      const route = '/v1/messages';
      expect(family(samples, 'bgw_http_requests_total')).toEqual(
        samplesOf('bgw_http_requests_total', [
          [{ method: 'POST', route, status: 202, tenant: 'acme' }, 2],
          [{ method: 'POST', route, status: 429, tenant: 'acme' }, 1],
          [{ method: 'POST', route, status: 202, tenant: 'globex' }, 1],
        ]),
      );
      // A refused request never reached Blooio.
      const count = 'bgw_upstream_request_duration_seconds_count';
      expect(family(samples, count)).toEqual(
        samplesOf(count, [
          [{ tenant: 'acme', outcome: 'accepted' }, 2],
          [{ tenant: 'globex', outcome: 'accepted' }, 1],
        ]),
      );
      expectNoSecrets(text);
      expectTenantLabels(text, ['acme', 'globex']);
    });
  });

  describe('an open circuit', () => {
    let gateway: Gateway;
    const send = sender(() => gateway);

    beforeAll(async () => {
      gateway = await startGatewayWithSimulator({
        env: {
          BLOOIO_MAX_RETRIES: '0',
          BLOOIO_BREAKER_THRESHOLD: '2',
          BLOOIO_BREAKER_COOLDOWN_MS: '60000',
        },
      });
    });
    afterAll(() => gateway.close());

    it("shows acme's circuit open (2) and globex's closed (0), and counts the fast refusal", async () => {
      await send(BODY, {}, KEYS.globex).expect(202);
      gateway.simulator.enqueueFault(fault500, fault500);
      await send().expect(502);
      await send().expect(502);
      expect(gateway.simulator.requests).toHaveLength(3);
      const refused = await send();
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('upstream_unavailable');
      expect(gateway.simulator.requests).toHaveLength(3);

      const { text, samples } = await scrape(gateway);
      expect(family(samples, 'bgw_upstream_circuit_state')).toEqual(
        samplesOf('bgw_upstream_circuit_state', [
          [{ tenant: 'acme' }, 2],
          [{ tenant: 'globex' }, 0],
        ]),
      );
      expect(family(samples, 'bgw_upstream_circuit_rejections_total')).toEqual(
        samplesOf('bgw_upstream_circuit_rejections_total', [[{ tenant: 'acme' }, 1]]),
      );
      const count = 'bgw_upstream_request_duration_seconds_count';
      expect(family(samples, count)).toEqual(
        samplesOf(count, [
          [{ tenant: 'acme', outcome: 'server_error' }, 2],
          [{ tenant: 'globex', outcome: 'accepted' }, 1],
        ]),
      );
      // BLOOIO_MAX_RETRIES=0: nothing retried.
      expect(family(samples, 'bgw_upstream_retries_total')).toEqual({});
      expect(family(samples, 'bgw_http_problems_total')).toEqual(
        samplesOf('bgw_http_problems_total', [
          [{ code: 'upstream_error', tenant: 'acme' }, 2],
          [{ code: 'upstream_unavailable', tenant: 'acme' }, 1],
        ]),
      );
      expectNoSecrets(text);
      expectTenantLabels(text, ['acme', 'globex']);
    });
  });

  describe('a circuit that cools down', () => {
    let gateway: Gateway;
    const send = sender(() => gateway);
    const COOLDOWN_MS = 1_000;
    const state = async () =>
      (await scrape(gateway)).samples.get(series('bgw_upstream_circuit_state', { tenant: 'acme' }));

    beforeAll(async () => {
      gateway = await startGatewayWithSimulator({
        env: {
          BLOOIO_MAX_RETRIES: '0',
          BLOOIO_BREAKER_THRESHOLD: '1',
          BLOOIO_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
        },
      });
    });
    afterAll(() => gateway.close());

    it('goes open (2), half-open (1) after the cooldown, closed (0) after a good trial', async () => {
      expect(await state()).toBeUndefined(); // no send yet, no breaker
      gateway.simulator.enqueueFault(fault500);
      await send().expect(502);
      expect(await state()).toBe(2);
      await sleep(COOLDOWN_MS + 100);
      expect(await state()).toBe(1);
      await send().expect(202);
      expect(await state()).toBe(0);
    });
  });
});
