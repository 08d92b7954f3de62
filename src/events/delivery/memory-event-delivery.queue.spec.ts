import { MemoryEventDeliveryQueue } from './memory-event-delivery.queue';
import {
  CRM,
  deliveryJob,
  deliveryJobs,
  eventDeliveryQueueContract,
  recordingHandler,
  sleep,
  waitFor,
} from '../../../test/support/event-delivery-queue.contract';

describe('MemoryEventDeliveryQueue', () => {
  describe('the queue contract', () => {
    eventDeliveryQueueContract((options) => Promise.resolve(new MemoryEventDeliveryQueue(options)));
  });

  let queue: MemoryEventDeliveryQueue | undefined;
  afterEach(async () => {
    await queue?.close(0);
    queue = undefined;
  });

  it('runs a finished job again once its retention is over', async () => {
    let now = 1_000;
    const memory = new MemoryEventDeliveryQueue({ finishedRetentionMs: 10_000, now: () => now });
    queue = memory;
    const handler = recordingHandler();
    await memory.start([CRM], handler, 1);
    await queue.enqueue([deliveryJob()]);
    await waitFor('the run', () => handler.runs.length === 1);
    now += 9_999;
    await queue.enqueue([deliveryJob()]);
    await sleep(20);
    expect(handler.runs).toHaveLength(1);
    now += 1;
    await queue.enqueue([deliveryJob()]);
    await waitFor('the second run', () => handler.runs.length === 2);
  });

  it('remembers at most maxFinished finished jobs, forgetting the oldest first', async () => {
    queue = new MemoryEventDeliveryQueue({ finishedRetentionMs: 60_000, maxFinished: 2 });
    const handler = recordingHandler();
    await queue.start([CRM], handler, 1);
    const [first, second, third] = deliveryJobs(CRM, 3);
    for (const job of [first, second, third]) {
      await queue.enqueue([job]);
      await waitFor(job.eventId, () => handler.runs.some((run) => run.job.eventId === job.eventId));
    }
    await queue.enqueue([first, second, third]);
    await waitFor('the forgotten job to run again', () => handler.runs.length === 4);
    await sleep(20);
    expect(handler.runs.map((run) => run.job.eventId)).toEqual([
      first.eventId,
      second.eventId,
      third.eventId,
      first.eventId,
    ]);
  });

  it('caps the backoff after repeated handler errors', async () => {
    queue = new MemoryEventDeliveryQueue({
      finishedRetentionMs: 60_000,
      handlerErrorBackoff: { baseMs: 10, capMs: 40 },
    });
    const at: number[] = [];
    await queue.start(
      [CRM],
      () => {
        at.push(Date.now());
        return Promise.reject(new Error('down'));
      },
      1,
    );
    await queue.enqueue([deliveryJob()]);
    await waitFor('eight runs', () => at.length >= 8, 2_000);
    const waits = at.slice(1).map((t, i) => t - at[i]);
    // 10, 20, 40, 40, 40...: never more than the cap (plus timer slack).
    expect(Math.max(...waits)).toBeLessThan(40 + 30);
    expect(waits.slice(3).every((wait) => wait >= 35)).toBe(true);
  });

  it('drops unfinished jobs at close, says how many it lost, and refuses jobs after it', async () => {
    queue = new MemoryEventDeliveryQueue({ finishedRetentionMs: 60_000 });
    const warn = jest.spyOn(queue['logger'], 'warn').mockImplementation(() => undefined);
    const handler = recordingHandler(() => Promise.resolve({ kind: 'retry', delayMs: 50 }));
    await queue.pause(CRM);
    await queue.start([CRM], handler, 1);
    await queue.enqueue(deliveryJobs(CRM, 2));
    await queue.close(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      { lost: 2 },
      'in-memory deliveries not finished at shutdown are lost',
    );
    await expect(queue.counts()).resolves.toEqual([]);
    await expect(queue.enqueue([deliveryJob()])).rejects.toThrow('closed');
    await sleep(100);
    expect(handler.runs).toHaveLength(0);
  });

  it('says nothing at close when every job is finished', async () => {
    const memory = new MemoryEventDeliveryQueue({ finishedRetentionMs: 60_000 });
    queue = memory;
    const warn = jest.spyOn(memory['logger'], 'warn').mockImplementation(() => undefined);
    const handler = recordingHandler();
    await memory.start([CRM], handler, 1);
    await memory.enqueue([deliveryJob()]);
    await waitFor('the run', () => handler.runs.length === 1);
    await memory.close(100);
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses a concurrency that is not a positive integer', async () => {
    queue = new MemoryEventDeliveryQueue({ finishedRetentionMs: 60_000 });
    await expect(queue.start([CRM], recordingHandler(), 0)).rejects.toThrow(RangeError);
  });
});
