import { createHash } from 'node:crypto';
import type { EventLogStore } from '../../src/events/event-log-store.interface';
import type { GatewayEvent } from '../../src/events/gateway-event';
import { ProblemException } from '../../src/problems/problem.exception';

/** A valid event id, different for each name. */
export const eventId = (name: string) =>
  'evt_' +
  createHash('sha256')
    .update(name)
    .digest()
    .toString('hex')
    .replace(/[^a-z2-7]/g, '')
    .padEnd(26, 'a')
    .slice(0, 26);

export function deliveredEvent(
  name: string,
  overrides: {
    tenantId?: string;
    messageId?: string;
    type?: 'message.delivered' | 'message.sent';
  } = {},
): GatewayEvent {
  const type = overrides.type ?? 'message.delivered';
  return {
    id: eventId(name),
    type,
    timestamp: '2026-12-02T10:00:05.000Z',
    tenantId: overrides.tenantId ?? 'acme',
    data: {
      messageId: overrides.messageId ?? 'msg_1',
      direction: 'outbound',
      status: type === 'message.sent' ? 'sent' : 'delivered',
    },
  };
}

const T0 = Date.parse('2026-12-02T10:00:00.000Z');

async function validationPathOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProblemException && error.code === 'validation_failed') {
      return (error.problem.errors ?? []).map((e) => e.path);
    }
    throw error;
  }
  throw new Error('expected a validation problem');
}

/** What every EventLogStore must do: run against the memory store (unit) and Redis (e2e). */
export function eventLogStoreContract(storeUnderTest: () => EventLogStore): void {
  let store: EventLogStore;
  beforeEach(() => {
    store = storeUnderTest();
  });

  const ids = (page: { data: GatewayEvent[] }) => page.data.map((e) => e.id);

  it('records an event once, per tenant', async () => {
    await expect(store.insert(deliveredEvent('a'), T0)).resolves.toBe(true);
    await expect(store.insert(deliveredEvent('a'), T0 + 5)).resolves.toBe(false);
    await expect(store.insert(deliveredEvent('a', { tenantId: 'globex' }), T0)).resolves.toBe(true);
    await expect(store.list('acme', { limit: 10 })).resolves.toEqual({
      data: [deliveredEvent('a')],
    });
  });

  it('records one of many concurrent inserts of one event', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, () => store.insert(deliveredEvent('a'), T0)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(store.list('acme', { limit: 100 })).resolves.toMatchObject({
      data: [{ id: eventId('a') }],
    });
  });

  it('answers an event only to its tenant', async () => {
    await store.insert(deliveredEvent('a'), T0);
    await expect(store.get('acme', eventId('a'))).resolves.toEqual(deliveredEvent('a'));
    await expect(store.get('globex', eventId('a'))).resolves.toBeUndefined();
    await expect(store.get('acme', eventId('b'))).resolves.toBeUndefined();
    await expect(store.get('acme', 'not-an-id')).resolves.toBeUndefined();
    await expect(store.list('globex', { limit: 100 })).resolves.toEqual({ data: [] });
  });

  it('lists newest first by receipt, not by the event’s own time, ties by id', async () => {
    await store.insert(deliveredEvent('first'), T0);
    await store.insert(deliveredEvent('second'), T0 + 2_000);
    await store.insert(deliveredEvent('late-received'), T0 + 1_000);
    await store.insert(deliveredEvent('same-ms'), T0 + 2_000);
    const page = await store.list('acme', { limit: 10 });
    const [a, b] = [eventId('second'), eventId('same-ms')].sort().reverse();
    expect(ids(page)).toEqual([a, b, eventId('late-received'), eventId('first')]);
  });

  it('filters by type and by message, together too', async () => {
    await store.insert(deliveredEvent('a', { messageId: 'm1', type: 'message.sent' }), T0);
    await store.insert(deliveredEvent('b', { messageId: 'm1' }), T0 + 1);
    await store.insert(deliveredEvent('c', { messageId: 'm2' }), T0 + 2);
    expect(ids(await store.list('acme', { limit: 10, type: 'message.delivered' }))).toEqual([
      eventId('c'),
      eventId('b'),
    ]);
    expect(ids(await store.list('acme', { limit: 10, messageId: 'm1' }))).toEqual([
      eventId('b'),
      eventId('a'),
    ]);
    expect(
      ids(await store.list('acme', { limit: 10, messageId: 'm1', type: 'message.sent' })),
    ).toEqual([eventId('a')]);
    expect(ids(await store.list('acme', { limit: 10, messageId: 'm3' }))).toEqual([]);
  });

  it('pages through every event exactly once, the last page without a cursor', async () => {
    for (let i = 0; i < 7; i += 1) await store.insert(deliveredEvent(`e${i}`), T0 + i);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list('acme', { limit: 3, cursor });
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages += 1;
      if (pages === 1) {
        // Newer events recorded meanwhile do not shift the pages that follow.
        await store.insert(deliveredEvent('newer'), T0 + 100);
      }
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => eventId(`e${i}`)));
    const exact = await store.list('acme', { limit: 8 });
    expect(exact.data).toHaveLength(8);
    expect(exact.nextCursor).toBeUndefined();
  });

  it('pages through a filter', async () => {
    for (let i = 0; i < 6; i += 1) {
      await store.insert(deliveredEvent(`e${i}`, { messageId: i % 2 ? 'odd' : 'even' }), T0 + i);
    }
    const first = await store.list('acme', { limit: 2, messageId: 'odd' });
    expect(ids(first)).toEqual([eventId('e5'), eventId('e3')]);
    const second = await store.list('acme', {
      limit: 2,
      messageId: 'odd',
      cursor: first.nextCursor,
    });
    expect(second).toEqual({ data: [expect.objectContaining({ id: eventId('e1') })] });
  });

  it('refuses a cursor of another tenant, another filter, or tampered with', async () => {
    for (let i = 0; i < 3; i += 1) await store.insert(deliveredEvent(`e${i}`), T0 + i);
    await store.insert(deliveredEvent('g', { tenantId: 'globex' }), T0);
    const { nextCursor } = await store.list('acme', { limit: 1 });
    expect(nextCursor).toEqual(expect.any(String));
    await expect(
      validationPathOf(store.list('globex', { limit: 1, cursor: nextCursor })),
    ).resolves.toEqual(['cursor']);
    await expect(
      validationPathOf(store.list('acme', { limit: 1, cursor: nextCursor, type: 'message.sent' })),
    ).resolves.toEqual(['cursor']);
    const flipped =
      nextCursor!.slice(0, -2) + (nextCursor!.endsWith('A') ? 'B' : 'A') + nextCursor!.slice(-1);
    for (const cursor of [
      flipped,
      'garbage',
      '',
      'a'.repeat(500),
      '../../x',
      Buffer.from('v1.x.y').toString('base64url'),
    ]) {
      await expect(validationPathOf(store.list('acme', { limit: 1, cursor }))).resolves.toEqual([
        'cursor',
      ]);
    }
  });

  it('refuses a bad limit, type or message id, naming each', async () => {
    await expect(
      validationPathOf(
        store.list('acme', { limit: 0, type: 'message.nope' as never, messageId: 'a/b' }),
      ),
    ).resolves.toEqual(['limit', 'type', 'messageId']);
    await expect(validationPathOf(store.list('acme', { limit: 101 }))).resolves.toEqual(['limit']);
    await expect(validationPathOf(store.list('acme', { limit: 1.5 }))).resolves.toEqual(['limit']);
  });
}
