import type { Logger } from '@nestjs/common';
import { deliveryJob } from '../../../test/support/event-delivery-queue.contract';
import { HandlerErrorLog } from './delivery-lanes';

describe('HandlerErrorLog', () => {
  it('logs a lane’s handler throws at most once per period, then says how many it left out', () => {
    const error = jest.fn();
    let now = 0;
    const log = new HandlerErrorLog({ error } as unknown as Logger, 60_000, () => now);
    const crm = deliveryJob();
    const billing = deliveryJob({ endpointId: 'billing' });
    for (let i = 0; i < 50; i += 1) log.log(crm, 1, 1_000, new Error('Redis is down'));
    log.log(billing, 1, 1_000, new Error('Redis is down'));
    expect(error).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[0][0]).toMatchObject({
      endpointId: 'crm',
      error: 'Error: Redis is down',
    });
    expect(error.mock.calls[0][0]).not.toHaveProperty('notLoggedSinceLastLine');
    expect(JSON.stringify(error.mock.calls)).not.toContain(crm.payload);
    now = 60_000;
    log.log(crm, 2, 2_000, new Error('Redis is down'));
    expect(error).toHaveBeenCalledTimes(3);
    expect(error.mock.calls[2][0]).toMatchObject({ endpointId: 'crm', notLoggedSinceLastLine: 49 });
  });
});
