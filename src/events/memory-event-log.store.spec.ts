import {
  deliveredEvent,
  eventLogStoreContract,
  eventId,
} from '../../test/support/event-log-store.contract';
import { MemoryEventLogStore } from './memory-event-log.store';

describe('MemoryEventLogStore', () => {
  describe('the store contract', () => {
    eventLogStoreContract(
      () =>
        new MemoryEventLogStore(1_000, 86_400_000, () => Date.parse('2026-12-02T10:00:30.000Z')),
    );
  });

  const T0 = Date.parse('2026-12-02T10:00:00.000Z');
  let now = T0;
  beforeEach(() => {
    now = T0;
  });

  it('forgets events when their retention ends, and may record them again', async () => {
    const store = new MemoryEventLogStore(100, 10_000, () => now);
    await store.insert(deliveredEvent('a'), T0);
    await store.insert(deliveredEvent('b'), T0 + 5_000);
    now = T0 + 10_000;
    await expect(store.get('acme', eventId('a'))).resolves.toBeUndefined();
    await expect(store.list('acme', { limit: 10 })).resolves.toEqual({
      data: [deliveredEvent('b')],
    });
    await expect(store.insert(deliveredEvent('a'), now)).resolves.toBe(true);
  });

  it('keeps at most maxEntries over every tenant, the earliest recorded going first', async () => {
    const store = new MemoryEventLogStore(3, 60_000, () => now);
    await store.insert(deliveredEvent('a'), T0);
    await store.insert(deliveredEvent('b', { tenantId: 'globex' }), T0 + 1);
    await store.insert(deliveredEvent('c'), T0 + 2);
    await store.insert(deliveredEvent('d'), T0 + 3);
    expect(store.size).toBe(3);
    await expect(store.get('acme', eventId('a'))).resolves.toBeUndefined();
    expect((await store.list('acme', { limit: 10 })).data.map((e) => e.id)).toEqual([
      eventId('d'),
      eventId('c'),
    ]);
    for (let i = 0; i < 500; i += 1) await store.insert(deliveredEvent(`x${i}`), T0 + 10 + i);
    expect(store.size).toBe(3);
  });

  it('keeps what it was given: the writer cannot change a stored event, a reader gets it frozen', async () => {
    const store = new MemoryEventLogStore(10, 60_000, () => now);
    const event = deliveredEvent('a');
    await store.insert(event, T0);
    (event.data as { messageId: string }).messageId = 'changed';
    const got = await store.get('acme', eventId('a'));
    expect(got?.data).toMatchObject({ messageId: 'msg_1' });
    expect(() => ((got!.data as { messageId: string }).messageId = 'x')).toThrow(TypeError);
    const [listed] = (await store.list('acme', { limit: 10 })).data;
    expect(listed.data).toMatchObject({ messageId: 'msg_1' });
  });
});
