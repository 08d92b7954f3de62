import fc from 'fast-check';
import { outboundRecord } from '../../test/support/message-record.fixture';
import { hashApiKey } from '../common/api-key';
import { ConfigError } from '../config/env';
import { MemoryMessageRecordStore } from '../message-records/memory-message-record.store';
import {
  isAboutOutboundMessage,
  routeEvent,
  RECHECK_WINDOW_MS,
  type RoutingTenant,
} from './blooio-event.routing';
import type { TenantRegistry } from '../tenants/tenant-registry';
import { parseTenantsDocument } from '../tenants/tenants-file.parser';

/**
 * "Never to a wrong tenant" (§11), as a property over random worlds: tenants on a few Blooio keys
 * (some shared), disjoint inbound numbers per key, outbound messages whose records are written at
 * random times (late, or never: a failed write, a send from Blooio's dashboard), inbound messages
 * to owned, unowned and missing numbers. Blooio delivers every event once or twice to every
 * tenant on its key (each registered its own webhook), at random times; each delivery is routed
 * with rechecks, interleaved with the record writes, against the real memory store.
 */

const NUMBERS = ['+15550000001', '+15550000002', '+15550000003', '+15550000004', '+15550000005'];
const STATUS_EVENTS = ['message.sent', 'message.delivered', 'message.read', 'message.failed'];

interface World {
  tenants: RoutingTenant[];
  outbound: {
    id: string;
    key: string;
    sender?: string;
    writtenAt?: number;
    event: string;
    arrivals: number[];
  }[];
  inbound: {
    id: string;
    key: string;
    internalId?: string;
    event: string;
    direction?: 'inbound' | 'outbound';
    arrivals: number[];
  }[];
}

const world: fc.Arbitrary<World> = fc
  .record({
    tenantKeys: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
    // For each key and number: which of the key's tenants owns it (an index), if any.
    owners: fc.array(
      fc.array(fc.option(fc.nat(), { nil: undefined }), {
        minLength: NUMBERS.length,
        maxLength: NUMBERS.length,
      }),
      { minLength: 3, maxLength: 3 },
    ),
  })
  .chain(({ tenantKeys, owners }) => {
    const tenants: RoutingTenant[] = tenantKeys.map((key, i) => ({
      id: `t${i}`,
      blooioKeyId: `key${key}`,
      inboundNumbers: [] as string[],
    }));
    for (let key = 0; key < 3; key += 1) {
      const onKey = tenants.filter((t) => t.blooioKeyId === `key${key}`);
      NUMBERS.forEach((number, n) => {
        const owner = owners[key][n];
        if (owner !== undefined && onKey.length > 0) {
          (onKey[owner % onKey.length].inboundNumbers as string[]).push(number);
        }
      });
    }
    const tenantIndex = fc.nat({ max: tenants.length - 1 });
    const arrivals = fc.array(fc.integer({ min: 0, max: 90_000 }), { minLength: 1, maxLength: 2 });
    const outbound = fc.record({
      tenant: fc.option(tenantIndex, { nil: undefined }),
      key: fc.integer({ min: 0, max: 2 }),
      writtenAt: fc.option(fc.integer({ min: 0, max: 150_000 }), { nil: undefined }),
      event: fc.constantFrom(...STATUS_EVENTS, 'message.reaction'),
      arrivals,
    });
    const inbound = fc.record({
      key: fc.integer({ min: 0, max: 2 }),
      internalId: fc.option(fc.constantFrom(...NUMBERS, '+19999999999'), { nil: undefined }),
      event: fc.constantFrom('message.received', 'message.reaction'),
      arrivals,
    });
    return fc
      .record({
        outbound: fc.array(outbound, { maxLength: 8 }),
        inbound: fc.array(inbound, { maxLength: 8 }),
      })
      .map(({ outbound, inbound }) => ({
        tenants,
        outbound: outbound.map((m, i) => {
          // A tenant's send goes through its own key; a dashboard send through any key.
          const sender = m.tenant === undefined ? undefined : tenants[m.tenant];
          return {
            id: `out${i}`,
            key: sender ? sender.blooioKeyId : `key${m.key}`,
            sender: sender?.id,
            writtenAt: sender ? m.writtenAt : undefined,
            event: m.event,
            arrivals: m.arrivals,
          };
        }),
        inbound: inbound.map((m, i) => ({
          id: `in${i}`,
          key: `key${m.key}`,
          internalId: m.internalId,
          event: m.event,
          direction: m.event === 'message.reaction' ? ('inbound' as const) : undefined,
          arrivals: m.arrivals,
        })),
      }));
  });

type Step =
  | { at: number; kind: 'write'; tenantId: string; key: string; messageId: string }
  | {
      at: number;
      kind: 'check';
      tenant: RoutingTenant;
      message: {
        id: string;
        key: string;
        event: string;
        internalId?: string;
        direction?: 'inbound' | 'outbound';
      };
      firstAt: number;
    };

async function simulate(w: World): Promise<Map<string, Set<string>>> {
  let now = 0;
  const store = new MemoryMessageRecordStore(10_000, 10 * 60_000, () => now);
  const steps: Step[] = [];
  for (const m of w.outbound) {
    if (m.sender && m.writtenAt !== undefined) {
      steps.push({
        at: m.writtenAt,
        kind: 'write',
        tenantId: m.sender,
        key: m.key,
        messageId: m.id,
      });
    }
  }
  const messages = [
    ...w.outbound.map((m) => ({
      ...m,
      direction: m.event === 'message.reaction' ? ('outbound' as const) : undefined,
    })),
    ...w.inbound,
  ];
  for (const m of messages) {
    for (const tenant of w.tenants.filter((t) => t.blooioKeyId === m.key)) {
      for (const at of m.arrivals)
        steps.push({ at, kind: 'check', tenant, message: m, firstAt: at });
    }
  }
  const delivered = new Map<string, Set<string>>();
  while (steps.length > 0) {
    // Earliest first; at one instant, writes and checks in a random but fixed order (the sort
    // is stable over the generated order).
    steps.sort((a, b) => a.at - b.at);
    const step = steps.shift()!;
    now = step.at;
    if (step.kind === 'write') {
      await store.save(
        outboundRecord({
          tenantId: step.tenantId,
          blooioKeyId: step.key,
          messageId: step.messageId,
        }),
      );
      continue;
    }
    const { tenant, message } = step;
    const keyShared = w.tenants.some(
      (t) => t.id !== tenant.id && t.blooioKeyId === tenant.blooioKeyId,
    );
    const event = {
      event: message.event,
      internalId: message.internalId,
      direction: message.direction,
    };
    const holders = isAboutOutboundMessage(event)
      ? await store.holders(tenant.blooioKeyId, message.id)
      : [];
    const decision = routeEvent({
      tenant,
      keyShared,
      event,
      holders,
      waitedMs: now - step.firstAt,
    });
    if (decision.action === 'deliver') {
      const to = delivered.get(message.id) ?? new Set<string>();
      to.add(tenant.id);
      delivered.set(message.id, to);
    } else if (decision.action === 'recheck') {
      expect(decision.afterMs).toBeGreaterThan(0);
      steps.push({ ...step, at: now + decision.afterMs });
    }
  }
  return delivered;
}

describe('routing never delivers an event to a wrong tenant (property)', () => {
  it('holds for random tenants, shared keys, numbers and interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const delivered = await simulate(w);
        const tenantsOn = (key: string) => w.tenants.filter((t) => t.blooioKeyId === key);
        const soleTenant = (key: string) =>
          tenantsOn(key).length === 1 ? tenantsOn(key)[0].id : undefined;

        for (const m of w.outbound) {
          const got = [...(delivered.get(m.id) ?? [])];
          // The sender's; with no sender at all, only the sole tenant of a key of its own.
          const allowed = m.sender ?? soleTenant(m.key);
          expect(got.every((id) => id === allowed)).toBe(true);
          // And it is not lost when its record was written within the wait of its first arrival.
          const firstArrival = Math.min(...m.arrivals);
          if (
            m.sender &&
            m.writtenAt !== undefined &&
            m.writtenAt <= firstArrival + RECHECK_WINDOW_MS
          ) {
            expect(got).toEqual([m.sender]);
          }
          if (!m.sender && soleTenant(m.key)) expect(got).toEqual([soleTenant(m.key)]);
        }
        for (const m of w.inbound) {
          const got = [...(delivered.get(m.id) ?? [])];
          const owner = tenantsOn(m.key).find(
            (t) => m.internalId !== undefined && t.inboundNumbers.includes(m.internalId),
          );
          const allowed = owner?.id ?? soleTenant(m.key);
          expect(got.every((id) => id === allowed)).toBe(true);
          if (allowed) expect(got).toEqual([allowed]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * The boot check and the routing together, over random tenant files: tenants on two Blooio keys,
 * with or without `senders`, with or without a webhook, with `inboundNumbers` given, empty or left
 * to default to `senders`. The file is refused exactly when two tenants of one key would receive on
 * one number; once accepted, each inbound number of a key reaches at most one of its tenants, and
 * a tenant on a shared key with no inbound number (neither list given) owns no inbound event.
 */
describe('the boot check keeps inbound numbers of one key disjoint (property)', () => {
  const SECRET = 'whsec_routingPropertySecret000000';
  const numbers = fc.subarray(NUMBERS.slice(0, 4));
  const tenantFile = fc.array(
    fc.record({
      key: fc.integer({ min: 0, max: 1 }),
      senders: fc.option(fc.subarray(NUMBERS.slice(0, 4), { minLength: 1 }), { nil: undefined }),
      webhook: fc.constantFrom('none', 'default', 'explicit'),
      inboundNumbers: numbers,
    }),
    { minLength: 1, maxLength: 5 },
  );

  it('refuses exactly the files where two tenants of one key share a number, and routes each number to one', () => {
    fc.assert(
      fc.property(tenantFile, (specs) => {
        const document = {
          tenants: specs.map((spec, i) => ({
            id: `t${i}`,
            blooio: {
              apiKey: `bl_propertyKey${spec.key}`,
              ...(spec.senders && { senders: spec.senders }),
              ...(spec.webhook !== 'none' && {
                webhook: {
                  signingSecrets: [SECRET],
                  ...(spec.webhook === 'explicit' && { inboundNumbers: spec.inboundNumbers }),
                },
              }),
            },
            apiKeys: [{ id: 'app', sha256: hashApiKey(`bgw_routingProperty${i}`) }],
          })),
        };
        // What §11 says each tenant receives on: inboundNumbers, else its senders; no webhook, none.
        const expected = specs.map((spec) =>
          spec.webhook === 'none'
            ? []
            : spec.webhook === 'explicit'
              ? spec.inboundNumbers
              : (spec.senders ?? []),
        );
        const conflict = specs.some((a, i) =>
          specs.some(
            (b, j) => j > i && a.key === b.key && expected[i].some((n) => expected[j].includes(n)),
          ),
        );
        let registry: TenantRegistry;
        try {
          registry = parseTenantsDocument(document, {
            env: {},
            rateLimitDefaults: { perSecond: 1, perMinute: 1 },
            baseDir: '/',
          });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect({ conflict, problems: (error as ConfigError).problems }).toMatchObject({
            conflict: true,
          });
          for (const line of (error as ConfigError).problems) {
            expect(line).toMatch(/inbound numbers of one key must be disjoint/);
          }
          return;
        }
        expect(conflict).toBe(false);
        expect(registry.tenants.map((t) => [...t.blooio.webhook.inboundNumbers].sort())).toEqual(
          expected.map((list) => [...new Set(list)].sort()),
        );
        for (const number of [...NUMBERS, undefined]) {
          for (const key of [0, 1]) {
            const onKey = registry.tenants.filter((_, i) => specs[i].key === key);
            const receivers = onKey.filter((tenant) => {
              const decision = routeEvent({
                tenant: {
                  id: tenant.id,
                  blooioKeyId: tenant.blooio.keyId,
                  inboundNumbers: tenant.blooio.webhook.inboundNumbers,
                },
                keyShared: registry.sharesBlooioKey(tenant.id),
                event: { event: 'message.received', internalId: number },
                holders: [],
                waitedMs: 0,
              });
              return decision.action === 'deliver';
            });
            expect(receivers.length).toBeLessThanOrEqual(1);
            for (const tenant of receivers) {
              if (registry.sharesBlooioKey(tenant.id)) {
                expect(tenant.blooio.webhook.inboundNumbers).toContain(number);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('an event about a message with no record (property)', () => {
  it('is re-checked until 60 s after its first receipt, then delivered only on a key no one shares', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: RECHECK_WINDOW_MS - 1 }),
        fc.boolean(),
        fc.constantFrom(...STATUS_EVENTS),
        (firstWaited, keyShared, event) => {
          const tenant = { id: 'a', blooioKeyId: 'k', inboundNumbers: [] };
          let waitedMs = firstWaited;
          const rechecks: number[] = [];
          for (;;) {
            const decision = routeEvent({
              tenant,
              keyShared,
              event: { event },
              holders: [],
              waitedMs,
            });
            if (decision.action !== 'recheck') {
              // Never decided before the window's end, and decided at it.
              expect(waitedMs).toBe(RECHECK_WINDOW_MS);
              expect(decision).toEqual(
                keyShared ? { action: 'unroutable', reason: 'no_record' } : { action: 'deliver' },
              );
              break;
            }
            expect(decision.afterMs).toBeGreaterThan(0);
            waitedMs += decision.afterMs;
            rechecks.push(waitedMs);
            expect(waitedMs).toBeLessThanOrEqual(RECHECK_WINDOW_MS);
          }
          expect(rechecks.length).toBeLessThanOrEqual(3);
          // The record of another tenant on the key, found at any re-check: never this tenant's.
          expect(
            routeEvent({ tenant, keyShared, event: { event }, holders: ['b'], waitedMs }),
          ).toEqual({ action: 'unroutable', reason: 'another_tenants_message' });
        },
      ),
    );
  });
});
