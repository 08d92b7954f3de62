import { deliveryStoreContract } from '../../../test/support/delivery-store.contract';
import { eventId } from '../../../test/support/event-log-store.contract';
import { MemoryDeliveryStore } from './memory-delivery.store';

describe('MemoryDeliveryStore', () => {
  describe('the store contract', () => {
    deliveryStoreContract(() => new MemoryDeliveryStore(1_000, 86_400_000));
  });

  it('forgets an event’s deliveries a TTL after their last write', async () => {
    let now = 0;
    const store = new MemoryDeliveryStore(100, 10_000, () => now);
    await store.open('acme', eventId('a'), ['crm']);
    now = 9_000;
    await store.recordAttempt(
      { tenantId: 'acme', eventId: eventId('a'), endpointId: 'crm', replay: 0 },
      { at: 'x', durationMs: 1 },
      {
        state: 'pending',
      },
    );
    now = 18_000;
    await expect(store.deliveriesOf('acme', eventId('a'))).resolves.toHaveLength(1);
    now = 19_000;
    await expect(store.deliveriesOf('acme', eventId('a'))).resolves.toEqual([]);
  });

  it('keeps the deliveries of at most maxEvents events, the least recently written going first', async () => {
    const store = new MemoryDeliveryStore(2, 86_400_000);
    await store.open('acme', eventId('a'), ['crm']);
    await store.open('acme', eventId('b'), ['crm']);
    await store.nextReplay('acme', eventId('a'), 'crm');
    await store.open('acme', eventId('c'), ['crm']);
    expect(store.size).toBe(2);
    await expect(store.deliveriesOf('acme', eventId('b'))).resolves.toEqual([]);
    await expect(store.deliveriesOf('acme', eventId('a'))).resolves.toHaveLength(1);
    await expect(store.deliveriesOf('acme', eventId('c'))).resolves.toHaveLength(1);
  });
});
