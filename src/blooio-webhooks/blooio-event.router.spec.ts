import { outboundRecord } from '../../test/support/message-record.fixture';
import { MemoryMessageRecordStore } from '../message-records/memory-message-record.store';
import { BlooioEventRouter } from './blooio-event.router';

describe('BlooioEventRouter', () => {
  const acme = { id: 'acme', blooioKeyId: 'key-a', inboundNumbers: ['+15550001111'] };
  const delivered = { event: 'message.delivered', messageId: 'msg_1', isGroup: false };

  it('looks the holders up under the tenant’s key identity', async () => {
    const store = new MemoryMessageRecordStore(10, 60_000);
    const router = new BlooioEventRouter(store);
    await expect(router.decide(acme, true, delivered, 0, 0)).resolves.toEqual({
      action: 'recheck',
      afterMs: 2_000,
    });
    await store.save(outboundRecord({ tenantId: 'globex', blooioKeyId: 'key-a' }));
    await expect(router.decide(acme, true, delivered, 0, 2_000)).resolves.toEqual({
      action: 'unroutable',
      reason: 'another_tenants_message',
    });
    // A record under another key says nothing about this one.
    const other = new MemoryMessageRecordStore(10, 60_000);
    await other.save(outboundRecord({ tenantId: 'acme', blooioKeyId: 'key-b' }));
    await expect(
      new BlooioEventRouter(other).decide(acme, true, delivered, 0, 60_000),
    ).resolves.toEqual({
      action: 'unroutable',
      reason: 'no_record',
    });
    await store.save(
      outboundRecord({ tenantId: 'acme', blooioKeyId: 'key-a', messageId: 'msg_2' }),
    );
    await expect(
      router.decide(acme, true, { ...delivered, messageId: 'msg_2' }, 0, 0),
    ).resolves.toEqual({
      action: 'deliver',
    });
  });

  it('does not ask the store about inbound events', async () => {
    const store = new MemoryMessageRecordStore(10, 60_000);
    const holders = jest.spyOn(store, 'holders');
    const router = new BlooioEventRouter(store);
    const received = {
      event: 'message.received',
      messageId: 'in_1',
      internalId: '+15550001111',
      isGroup: false,
    };
    await expect(router.decide(acme, true, received, 0, 0)).resolves.toEqual({ action: 'deliver' });
    expect(holders).not.toHaveBeenCalled();
  });
});
