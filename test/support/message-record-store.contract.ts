import { outboundRecord as record } from './message-record.fixture';
import type { MessageRecordStore } from '../../src/message-records/message-record-store.interface';

const at = (second: number) => `2026-12-02T10:00:${String(second).padStart(2, '0')}.000Z`;

/**
 * What every MessageRecordStore must do, run against the memory store (unit) and the Redis store
 * (e2e), so that the two cannot drift apart.
 */
export function messageRecordStoreContract(storeUnderTest: () => MessageRecordStore): void {
  let store: MessageRecordStore;
  beforeEach(() => {
    store = storeUnderTest();
  });

  it('finds a record only under its own tenant', async () => {
    await store.save(record());
    await expect(store.find('acme', 'msg_1')).resolves.toEqual(record());
    await expect(store.find('globex', 'msg_1')).resolves.toBeUndefined();
    await expect(store.find('acme', 'msg_2')).resolves.toBeUndefined();
  });

  it('keeps two tenants’ records of one id apart', async () => {
    await store.save(record());
    await store.save(record({ tenantId: 'globex', chatId: '+15559999999' }));
    await store.update('globex', 'msg_1', { status: 'delivered', at: at(5) });
    await expect(store.find('acme', 'msg_1')).resolves.toMatchObject({
      status: 'queued',
      chatId: '+15551234567',
    });
    await expect(store.find('globex', 'msg_1')).resolves.toMatchObject({ status: 'delivered' });
  });

  it('updates forward only, and creates nothing for an id it does not hold', async () => {
    await store.save(record());
    await expect(
      store.update('acme', 'msg_1', { status: 'delivered', deliveredAt: at(2), at: at(2) }),
    ).resolves.toMatchObject({ status: 'delivered', deliveredAt: at(2), updatedAt: at(2) });
    await expect(
      store.update('acme', 'msg_1', { status: 'sent', sentAt: at(1), at: at(3) }),
    ).resolves.toMatchObject({ status: 'delivered', sentAt: at(1), deliveredAt: at(2) });
    await expect(store.update('globex', 'msg_1', { status: 'read', at: at(4) })).resolves.toBe(
      undefined,
    );
    await expect(store.find('globex', 'msg_1')).resolves.toBeUndefined();
    await expect(store.holders('key-a', 'msg_1')).resolves.toEqual(['acme']);
  });

  it('merges a second write of a record forward, keeping its first createdAt', async () => {
    await store.save(record({ status: 'delivered', deliveredAt: at(2), updatedAt: at(2) }));
    const saved = await store.save(
      record({ status: 'queued', createdAt: at(9), updatedAt: at(9), metadata: { orderId: 'B' } }),
    );
    expect(saved).toMatchObject({
      status: 'delivered',
      deliveredAt: at(2),
      createdAt: record().createdAt,
      metadata: { orderId: 'B' },
    });
    await expect(store.find('acme', 'msg_1')).resolves.toEqual(saved);
  });

  it('counts every one of many concurrent updates', async () => {
    await store.save(record());
    await Promise.all([
      store.update('acme', 'msg_1', { status: 'sent', sentAt: at(1), at: at(1) }),
      store.update('acme', 'msg_1', { deliveredAt: at(2), at: at(2) }),
      store.update('acme', 'msg_1', { readAt: at(3), at: at(3) }),
      store.update('acme', 'msg_1', { protocol: 'imessage', at: at(1) }),
      store.update('acme', 'msg_1', { status: 'read', at: at(3) }),
    ]);
    await expect(store.find('acme', 'msg_1')).resolves.toMatchObject({
      status: 'read',
      protocol: 'imessage',
      sentAt: at(1),
      deliveredAt: at(2),
      readAt: at(3),
      updatedAt: at(3),
    });
  });

  it('names the holders of a Blooio id under one key identity only', async () => {
    await store.save(record());
    await store.save(record({ tenantId: 'globex' }));
    await store.save(record({ tenantId: 'initech', blooioKeyId: 'key-b' }));
    await expect(store.holders('key-a', 'msg_1')).resolves.toEqual(['acme', 'globex']);
    await expect(store.holders('key-b', 'msg_1')).resolves.toEqual(['initech']);
    await expect(store.holders('key-c', 'msg_1')).resolves.toEqual([]);
    await expect(store.holders('key-a', 'msg_2')).resolves.toEqual([]);
  });

  it('keeps what it was given: neither the writer nor a reader can change a stored record', async () => {
    const written = record();
    const saved = await store.save(written);
    written.recipients.push('+15550000001');
    tryToChange(() => saved.recipients.push('+15550000000'));
    const found = await store.find('acme', 'msg_1');
    tryToChange(() => (found!.metadata!.orderId = 'changed'));
    await expect(store.find('acme', 'msg_1')).resolves.toEqual(record());
  });
}

/** A store may answer a copy (change it freely) or a frozen record (a change throws); both keep it. */
function tryToChange(change: () => unknown): void {
  try {
    change();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
  }
}
