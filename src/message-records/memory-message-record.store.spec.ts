import { MemoryMessageRecordStore } from './memory-message-record.store';
import { outboundRecord as record } from '../../test/support/message-record.fixture';
import { messageRecordStoreContract } from '../../test/support/message-record-store.contract';

describe('MemoryMessageRecordStore', () => {
  describe('the store contract', () => {
    messageRecordStoreContract(() => new MemoryMessageRecordStore(100, 60_000));
  });

  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('drops a record when its retention ends, from find and from holders', async () => {
    const store = new MemoryMessageRecordStore(100, 10_000, clock);
    await store.save(record());
    now += 9_999;
    await expect(store.find('acme', 'msg_1')).resolves.toBeDefined();
    // An update does not extend the retention: it counts from the first write.
    await store.update('acme', 'msg_1', { status: 'sent', at: '2026-12-02T10:00:01.000Z' });
    now += 1;
    await expect(store.find('acme', 'msg_1')).resolves.toBeUndefined();
    await expect(store.holders('key-a', 'msg_1')).resolves.toEqual([]);
    await expect(store.update('acme', 'msg_1', { status: 'read', at: 'x' })).resolves.toBe(
      undefined,
    );
    expect(store.size).toBe(0);
  });

  it('keeps at most maxEntries, evicting the least recently written', async () => {
    const store = new MemoryMessageRecordStore(3, 60_000, clock);
    for (const id of ['m1', 'm2', 'm3']) await store.save(record({ messageId: id }));
    await store.update('acme', 'm1', { status: 'sent', at: '2026-12-02T10:00:01.000Z' });
    await store.save(record({ messageId: 'm4' }));
    expect(store.size).toBe(3);
    await expect(store.find('acme', 'm2')).resolves.toBeUndefined();
    await expect(store.holders('key-a', 'm2')).resolves.toEqual([]);
    for (const id of ['m1', 'm3', 'm4']) {
      await expect(store.find('acme', id)).resolves.toBeDefined();
    }
  });

  it('stays bounded under many writes', async () => {
    const store = new MemoryMessageRecordStore(50, 60_000, clock);
    for (let i = 0; i < 1_000; i += 1) {
      await store.save(record({ messageId: `m${i}`, tenantId: i % 2 ? 'acme' : 'globex' }));
    }
    expect(store.size).toBe(50);
    await expect(store.find('acme', 'm999')).resolves.toBeDefined();
  });
});
