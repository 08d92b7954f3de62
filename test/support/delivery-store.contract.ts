import type { DeliveryStore } from '../../src/events/delivery/delivery-store.interface';
import { MAX_ATTEMPTS_KEPT } from '../../src/events/delivery/delivery-store.interface';
import type { DeliveryAttempt } from '../../src/events/delivery/event-deliveries.interface';
import { eventId } from './event-log-store.contract';

const E1 = eventId('delivery-1');
const E2 = eventId('delivery-2');
const attempt = (n: number, extra: Partial<DeliveryAttempt> = {}): DeliveryAttempt => ({
  at: `2026-12-02T10:00:${String(n).padStart(2, '0')}.000Z`,
  status: 500,
  error: 'HTTP 500',
  durationMs: n,
  ...extra,
});
const byEndpoint = <T extends { endpointId: string }>(list: T[]) =>
  [...list].sort((a, b) => a.endpointId.localeCompare(b.endpointId));

/** What every DeliveryStore does, memory or Redis. */
export function deliveryStoreContract(store: () => DeliveryStore): void {
  it('opens one pending delivery per endpoint, once: a second open keeps what is there', async () => {
    const s = store();
    await expect(s.deliveriesOf('acme', E1)).resolves.toEqual([]);
    await s.open('acme', E1, ['crm', 'billing']);
    await s.recordAttempt(
      { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 0 },
      attempt(1, { status: 204, error: undefined }),
      {
        state: 'delivered',
      },
    );
    await s.open('acme', E1, ['crm', 'billing']);
    const deliveries = byEndpoint(await s.deliveriesOf('acme', E1));
    expect(JSON.parse(JSON.stringify(deliveries))).toEqual([
      { endpointId: 'billing', state: 'pending', attempts: [] },
      {
        endpointId: 'crm',
        state: 'delivered',
        attempts: [{ at: attempt(1).at, status: 204, durationMs: 1 }],
      },
    ]);
  });

  it('keeps every attempt in order, the state and the next attempt while one is scheduled', async () => {
    const s = store();
    await s.open('acme', E1, ['crm']);
    await s.recordAttempt(
      { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 0 },
      attempt(1),
      {
        state: 'pending',
        nextAttemptAt: '2026-12-02T10:00:06.000Z',
      },
    );
    expect(await s.deliveriesOf('acme', E1)).toEqual([
      {
        endpointId: 'crm',
        state: 'pending',
        attempts: [attempt(1)],
        nextAttemptAt: '2026-12-02T10:00:06.000Z',
      },
    ]);
    await s.recordAttempt(
      { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 0 },
      attempt(2, { status: undefined, error: 'timeout after 15000 ms' }),
      {
        state: 'failed',
      },
    );
    const [delivery] = await s.deliveriesOf('acme', E1);
    expect(delivery.state).toBe('failed');
    expect(delivery).not.toHaveProperty('nextAttemptAt');
    expect(delivery.attempts.map((a) => a.error)).toEqual(['HTTP 500', 'timeout after 15000 ms']);
  });

  it('numbers replays and makes the delivery pending again; an older replay only delivers', async () => {
    const s = store();
    await s.open('acme', E1, ['crm']);
    await s.recordAttempt(
      { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 0 },
      attempt(1),
      { state: 'failed' },
    );
    await expect(s.nextReplay('acme', E1, 'crm')).resolves.toBe(1);
    await expect(s.nextReplay('acme', E1, 'crm')).resolves.toBe(2);
    expect((await s.deliveriesOf('acme', E1))[0].state).toBe('pending');
    // Replay 1 fails for good while replay 2 is still on its way: still pending.
    await s.recordAttempt(
      { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 1 },
      attempt(2),
      { state: 'failed' },
    );
    expect((await s.deliveriesOf('acme', E1))[0].state).toBe('pending');
    await s.recordAttempt(
      { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 1 },
      attempt(3, { status: 200, error: undefined }),
      {
        state: 'delivered',
      },
    );
    expect((await s.deliveriesOf('acme', E1))[0]).toMatchObject({ state: 'delivered' });
    expect((await s.deliveriesOf('acme', E1))[0].attempts).toHaveLength(3);
    // A replay of a delivery never opened (an endpoint named explicitly) starts at 1 too.
    await expect(s.nextReplay('acme', E2, 'crm')).resolves.toBe(1);
  });

  it(`keeps the latest ${MAX_ATTEMPTS_KEPT} attempts of a delivery`, async () => {
    const s = store();
    await s.open('acme', E1, ['crm']);
    for (let i = 1; i <= MAX_ATTEMPTS_KEPT + 5; i += 1) {
      await s.recordAttempt(
        { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 0 },
        attempt(i % 60, { durationMs: i }),
        {
          state: 'pending',
        },
      );
    }
    const [delivery] = await s.deliveriesOf('acme', E1);
    expect(delivery.attempts).toHaveLength(MAX_ATTEMPTS_KEPT);
    expect(delivery.attempts[0].durationMs).toBe(6);
    expect(delivery.attempts.at(-1)!.durationMs).toBe(MAX_ATTEMPTS_KEPT + 5);
  });

  it('counts every attempt recorded at once (two replicas)', async () => {
    const s = store();
    await s.open('acme', E1, ['crm']);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.recordAttempt(
          { tenantId: 'acme', eventId: E1, endpointId: 'crm', replay: 0 },
          attempt(i),
          { state: 'pending' },
        ),
      ),
    );
    expect((await s.deliveriesOf('acme', E1))[0].attempts).toHaveLength(20);
  });

  it("never shows one tenant's deliveries or endpoints to another", async () => {
    const s = store();
    await s.open('acme', E1, ['crm']);
    await s.disable('acme', 'crm', '2026-12-02T10:00:00.000Z');
    await expect(s.deliveriesOf('globex', E1)).resolves.toEqual([]);
    await expect(s.endpointState('globex', 'crm')).resolves.toEqual({});
  });

  it('keeps endpoint health: failing since the first failure, cleared by a success; 410 disables until enabled', async () => {
    const s = store();
    await expect(s.endpointState('acme', 'crm')).resolves.toEqual({});
    await s.failed('acme', 'crm', '2026-12-02T10:00:01.000Z');
    await s.failed('acme', 'crm', '2026-12-02T10:00:02.000Z');
    await expect(s.endpointState('acme', 'crm')).resolves.toEqual({
      failingSince: '2026-12-02T10:00:01.000Z',
    });
    await s.succeeded('acme', 'crm', '2026-12-02T10:00:03.000Z');
    await expect(s.endpointState('acme', 'crm')).resolves.toEqual({
      lastSuccessAt: '2026-12-02T10:00:03.000Z',
    });
    await s.disable('acme', 'crm', '2026-12-02T10:00:04.000Z');
    await expect(s.endpointState('acme', 'crm')).resolves.toEqual({
      disabledAt: '2026-12-02T10:00:04.000Z',
      lastSuccessAt: '2026-12-02T10:00:03.000Z',
      failingSince: '2026-12-02T10:00:04.000Z',
    });
    await expect(s.enable('acme', 'crm')).resolves.toEqual({
      lastSuccessAt: '2026-12-02T10:00:03.000Z',
      failingSince: '2026-12-02T10:00:04.000Z',
    });
    await expect(s.endpointState('acme', 'billing')).resolves.toEqual({});
  });
}
