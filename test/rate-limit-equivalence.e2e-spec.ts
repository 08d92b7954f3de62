/**
 * TenantThrottlerGuard counts every window in one storage call; ThrottlerGuard's own canActivate
 * counts them one call each. The same requests through both must give the same answers and leave
 * the same counters, in memory and in Redis.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { MemoryThrottlerStorage } from '../src/rate-limit/memory-throttler.storage';
import { RedisThrottlerStorage } from '../src/rate-limit/redis-throttler.storage';
import { deleteKeys, describeWithRedis, uniqueKeyPrefix } from './support/redis';
import {
  attempt,
  guardOn,
  moduleOptions,
  redisClient,
  redisCounts,
  ROUTE_NAMES,
  TENANT_IDS,
  type GuardUnderTest,
  type Outcome,
  type Step,
} from './support/throttler-harness';

const times = (n: number, step: Step): Step[] => [
  step,
  ...Array<Step>(n - 1).fill({ ...step, advanceMs: 0 }),
];

/** Second-window refusals, minute-window refusals, a route's own limit and block, expiries. */
const SCRIPT: Step[] = [
  ...times(5, { tenant: 'acme', route: 'send' }),
  ...times(2, { tenant: 'globex', route: 'send' }),
  ...times(7, { tenant: 'initech', route: 'send' }),
  { tenant: 'globex', route: 'quiet' },
  ...times(4, { tenant: 'acme', route: 'send', advanceMs: 1_000 }),
  { tenant: 'globex', route: 'shortBlock' },
  { tenant: 'initech', route: 'secondOnly' },
  { tenant: 'acme', route: 'strict' },
  { tenant: 'globex', route: 'loud' },
  { tenant: 'globex', route: 'shortBlock', advanceMs: 1_000 },
  ...times(4, { tenant: 'acme', route: 'send' }),
  ...times(2, { tenant: 'acme', route: 'send', advanceMs: 1_000 }),
  { tenant: 'globex', route: 'shortBlock' },
  { tenant: 'initech', route: 'send' },
];

/** Requests past a minute block's start, and past its end (memory: the clock is ours). */
const LATER: Step[] = [
  { tenant: 'initech', route: 'send', advanceMs: 30_000 },
  { tenant: 'globex', route: 'shortBlock', advanceMs: 5_000 },
  { tenant: 'initech', route: 'send', advanceMs: 30_000 },
  ...times(3, { tenant: 'acme', route: 'strict', advanceMs: 1_000 }),
];

function refusals(outcomes: Outcome[]): string[] {
  return outcomes.flatMap((o) => (o.allowed ? [] : [`${o.window} ${o.retryAfter}`]));
}

describe('TenantThrottlerGuard and ThrottlerGuard on the memory store', () => {
  let clock: number;
  const storage = () => new MemoryThrottlerStorage(() => clock);
  const countsOf = (store: MemoryThrottlerStorage) =>
    structuredClone(
      Object.fromEntries((store as unknown as { windows: Map<string, object> }).windows),
    );

  async function run(steps: Step[], withSkips = false) {
    clock = 1_000_000;
    const stores = { stock: storage(), override: storage() };
    const stock = await guardOn('stock', stores.stock, moduleOptions(withSkips));
    const override = await guardOn('override', stores.override, moduleOptions(withSkips));
    const outcomes: { stock: Outcome[]; override: Outcome[] } = { stock: [], override: [] };
    for (const step of steps) {
      clock += step.advanceMs ?? 0;
      outcomes.stock.push(await attempt(stock, step));
      outcomes.override.push(await attempt(override, step));
    }
    return {
      outcomes,
      counts: { stock: countsOf(stores.stock), override: countsOf(stores.override) },
    };
  }

  it('gives the same answers and leaves the same counters for a scripted day', async () => {
    const { outcomes, counts } = await run([...SCRIPT, ...LATER]);
    expect(outcomes.override).toEqual(outcomes.stock);
    expect(counts.override).toEqual(counts.stock);
    // The script does reach what it is meant to: both windows refuse, blocks end.
    expect(refusals(outcomes.stock)).toEqual([
      ...['second 1', 'second 1', 'second 1'], // acme and globex past their second's limit
      ...['minute 60', 'minute 60'], // initech past its minute's limit, then blocked
      ...['second 1', 'second 1', 'second 1'], // acme again; @Throttle's 1/s; loud's own window
      'minute 5', // globex past shortBlock's 2/minute, blocked 5 s
      ...['second 1', 'minute 60'], // acme's second, then its tenth call in the minute
      ...['minute 4', 'minute 57', 'minute 27'], // blocks running down
      ...['second 1', 'second 1'], // acme on the strict route after its minute block ended
    ]);
    expect(outcomes.stock.at(-4)).toEqual({ allowed: true }); // initech, once its block ended
  });

  it('gives the same answers for any sequence of tenants, routes, skips and pauses', async () => {
    const step = fc.record({
      tenant: fc.constantFrom(...TENANT_IDS),
      route: fc.constantFrom(...ROUTE_NAMES),
      advanceMs: fc.constantFrom(0, 0, 0, 0, 1, 400, 999, 1_000, 5_000, 30_000, 60_000),
      headers: fc.constantFrom<Record<string, string>>(
        {},
        { 'user-agent': 'probe/1' },
        { 'x-skip-second': '1' },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const { outcomes, counts } = await run(steps, true);
        expect(outcomes.override).toEqual(outcomes.stock);
        expect(counts.override).toEqual(counts.stock);
      }),
      { numRuns: 300 },
    );
  });
});

describeWithRedis('TenantThrottlerGuard and ThrottlerGuard on Redis (e2e)', () => {
  const prefixes = { stock: uniqueKeyPrefix(), override: uniqueKeyPrefix() };
  const clients: Redis[] = [];

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await deleteKeys(prefixes.stock);
    await deleteKeys(prefixes.override);
  });

  it('gives the same answers, leaves the same counters, and calls Redis once a request', async () => {
    const connect = async (prefix: string) => {
      const client = await redisClient(prefix);
      clients.push(client);
      return client;
    };
    const [stockClient, overrideClient] = [
      await connect(prefixes.stock),
      await connect(prefixes.override),
    ];
    const stock: GuardUnderTest = await guardOn('stock', new RedisThrottlerStorage(stockClient));
    const override: GuardUnderTest = await guardOn(
      'override',
      new RedisThrottlerStorage(overrideClient),
    );
    const stockCommands = jest.spyOn(stockClient, 'sendCommand');
    const overrideCommands = jest.spyOn(overrideClient, 'sendCommand');

    // Real time: each pause lets the second windows and their blocks expire.
    const outcomes: { stock: Outcome[]; override: Outcome[] } = { stock: [], override: [] };
    for (const step of SCRIPT) {
      if (step.advanceMs) await sleep(step.advanceMs + 100);
      // Ignore detail.timeToExpire: the two sides read a window's PTTL a moment apart.
      const [a, b] = [await attempt(stock, step), await attempt(override, step)];
      if (!a.allowed) a.detail.timeToExpire = 0;
      if (!b.allowed) b.detail.timeToExpire = 0;
      outcomes.stock.push(a);
      outcomes.override.push(b);
    }

    expect(outcomes.override).toEqual(outcomes.stock);
    expect(refusals(outcomes.stock)).toEqual(
      expect.arrayContaining(['second 1', 'minute 60', 'minute 5']),
    );
    const counts = {
      stock: await redisCounts(prefixes.stock),
      override: await redisCounts(prefixes.override),
    };
    expect(counts.override).toEqual(counts.stock);
    expect(Object.keys(counts.stock)).toEqual(
      expect.arrayContaining(['{second:acme:second}:hits', '{minute:initech:minute}:blocked']),
    );
    for (const { expires } of Object.values(counts.override)) expect(expires).toBe(true);

    const counted = SCRIPT.filter((step) => step.route !== 'quiet').length;
    expect(overrideCommands).toHaveBeenCalledTimes(counted);
    expect(stockCommands.mock.calls.length).toBeGreaterThan(counted);
  });
});
