import { join } from 'node:path';
import Redis from 'ioredis';
import {
  BullmqEventDeliveryQueue,
  type BullmqEventDeliveryQueueOptions,
} from '../src/events/delivery/bullmq-event-delivery.queue';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import {
  CRM,
  deliveryJob,
  deliveryJobs,
  eventDeliveryQueueContract,
  recordingHandler,
  sleep,
  slowHandler,
  waitFor,
} from './support/event-delivery-queue.contract';
import { DIST, runNode } from './support/process';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';

describeWithRedis('BullmqEventDeliveryQueue on a real Redis (e2e)', () => {
  let keyPrefix = uniqueKeyPrefix();
  const opened: BullmqEventDeliveryQueue[] = [];

  function replica(options: Partial<BullmqEventDeliveryQueueOptions> = {}) {
    const queue = new BullmqEventDeliveryQueue({
      url: TEST_REDIS_URL,
      prefix: `${keyPrefix}bullmq`,
      finishedRetentionMs: 60_000,
      handlerErrorBackoff: { baseMs: 30, capMs: 60 },
      stalledMs: 1_000,
      ...options,
    });
    opened.push(queue);
    return queue;
  }

  beforeEach(() => {
    keyPrefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close(0)));
    await deleteKeys(keyPrefix);
  });

  describe('the queue contract', () => {
    eventDeliveryQueueContract((options) => Promise.resolve(replica(options)));
  });

  it('keeps its keys under the prefix derived from REDIS_KEY_PREFIX, on its own connections', async () => {
    const queue = replica();
    const handler = recordingHandler();
    await queue.start([CRM], handler, 1);
    await queue.enqueue([deliveryJob()]);
    await waitFor('the run', () => handler.runs.length === 1);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`${keyPrefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((key) => key.startsWith(`${keyPrefix}bullmq:acme.crm:`))).toBe(true);
      expect(keys).toContain(`${keyPrefix}bullmq:acme.crm:${deliveryJob().eventId}.r0`);
    } finally {
      redis.disconnect();
    }
  });

  it('runs a job once however many replicas enqueue it, on whichever replica takes it', async () => {
    const [a, b] = [replica(), replica()];
    const handler = recordingHandler();
    await a.start([CRM], handler, 2);
    await b.start([CRM], handler, 2);
    const jobs = deliveryJobs(CRM, 20);
    await Promise.all([a.enqueue(jobs), b.enqueue(jobs), a.enqueue(jobs.slice(5))]);
    await waitFor('twenty runs', () => handler.runs.length === 20);
    await sleep(300);
    expect(new Set(handler.runs.map((run) => run.job.eventId)).size).toBe(20);
    expect(handler.runs).toHaveLength(20);
  });

  it('keeps jobs across a restart: what one process enqueued, the next one runs', async () => {
    const before = replica();
    await before.enqueue(deliveryJobs(CRM, 3));
    await before.close(0);
    const after = replica();
    const handler = recordingHandler();
    await after.start([CRM], handler, 1);
    await waitFor('three runs', () => handler.runs.length === 3);
  });

  it('keeps a delayed retry across a restart, with its attempt number', async () => {
    const before = replica();
    const first = recordingHandler(() => Promise.resolve({ kind: 'retry', delayMs: 300 }));
    await before.start([CRM], first, 1);
    await before.enqueue([deliveryJob()]);
    await waitFor('the first attempt', () => first.runs.length === 1);
    await before.close(1_000);
    const after = replica();
    const second = recordingHandler();
    await after.start([CRM], second, 1);
    await waitFor('the second attempt', () => second.runs.length === 1);
    expect(second.runs[0].attempt).toBe(2);
    expect(first.runs).toHaveLength(1);
  });

  it('forgets a finished job once its retention is over (when later jobs finish)', async () => {
    const queue = replica({ finishedRetentionMs: 1_000 });
    const handler = recordingHandler();
    await queue.start([CRM], handler, 1);
    const [first, second] = deliveryJobs(CRM, 2);
    await queue.enqueue([first]);
    await waitFor('the first run', () => handler.runs.length === 1);
    await sleep(1_300);
    await queue.enqueue([second]);
    await waitFor('the second run', () => handler.runs.length === 2);
    await sleep(100);
    await queue.enqueue([first]);
    await waitFor('the first job’s second run', () => handler.runs.length === 3);
  });

  it('hands a job still running at the end of the grace period to another replica at once', async () => {
    // A lock of 10 s: were the job left to stall, B would wait that long for it.
    const a = replica({ stalledMs: 10_000 });
    const b = replica({ stalledMs: 10_000 });
    const hung = recordingHandler(() => new Promise(() => undefined));
    await a.start([CRM], hung, 1);
    await a.enqueue([deliveryJob()]);
    await waitFor('replica A’s run', () => hung.runs.length === 1);
    const handler = recordingHandler();
    await b.start([CRM], handler, 1);
    await a.close(100);
    const handedBackAt = Date.now();
    await waitFor('replica B’s run', () => handler.runs.length === 1, 10_000);
    expect(Date.now() - handedBackAt).toBeLessThan(3_000);
    expect(handler.runs[0]).toEqual({ job: deliveryJob(), attempt: 1 });
  });

  it('runs the jobs of a replica killed mid-delivery (kill -9) on another once their lock expires', async () => {
    const stalledMs = 1_000;
    const doomed = runNode(join(__dirname, 'support', 'bullmq-lane-worker.js'), [], {
      env: {
        DIST,
        REDIS_URL: TEST_REDIS_URL,
        PREFIX: `${keyPrefix}bullmq`,
        STALLED_MS: String(stalledMs),
        CONCURRENCY: '3',
      },
    });
    try {
      await doomed.waitForOutput(/started/);
      const jobs = deliveryJobs(CRM, 3);
      const producer = replica();
      await producer.enqueue(jobs);
      for (const job of jobs) await doomed.waitForOutput(new RegExp(`ran ${job.eventId} 1`));
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const killedAt = Date.now();

      const survivor = replica({ stalledMs });
      const handler = recordingHandler();
      await survivor.start([CRM], handler, 3);
      await waitFor('the survivor to run all three', () => handler.runs.length === 3, 10_000);
      const tookMs = Date.now() - killedAt;
      // The lock expires after stalledMs; a stalled check (every stalledMs) then returns the job.
      expect(tookMs).toBeLessThan(4 * stalledMs);
      expect(handler.runs.map((run) => run.job.eventId).sort()).toEqual(
        jobs.map((job) => job.eventId).sort(),
      );
      // Same job, same attempt: the killed replica's attempt never reported back.
      expect(handler.runs.every((run) => run.attempt === 1)).toBe(true);
      process.stdout.write(`stalled jobs of a killed replica ran again after ${tookMs} ms\n`);
    } finally {
      doomed.child.kill('SIGKILL');
    }
  });

  it('resumes deliveries, delayed retries included, once Redis is back after a cut', async () => {
    const [host, port] = [
      new URL(TEST_REDIS_URL).hostname,
      Number(new URL(TEST_REDIS_URL).port || 6379),
    ];
    const proxy = await TcpProxy.start({ host, port });
    try {
      const queue = replica({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 500 });
      const handler = recordingHandler((job, attempt) =>
        Promise.resolve(
          job.eventId === deliveryJob().eventId && attempt === 1
            ? { kind: 'retry', delayMs: 1_000 }
            : { kind: 'done' },
        ),
      );
      await queue.start([CRM], handler, 2);
      await queue.enqueue([deliveryJob(), ...deliveryJobs(CRM, 3, 1)]);
      await waitFor('the first four runs', () => handler.runs.length === 4);
      await proxy.cut();
      await expect(queue.enqueue(deliveryJobs(CRM, 1, 10))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      await sleep(2_000);
      expect(handler.runs).toHaveLength(4);
      await proxy.restore();
      const restoredAt = Date.now();
      await waitFor('the delayed retry', () => handler.runs.length === 5, 15_000);
      expect(handler.runs[4]).toEqual({ job: deliveryJob(), attempt: 2 });
      const retriedAfterMs = Date.now() - restoredAt;
      await waitFor('Redis to take jobs again', async () => {
        try {
          await queue.enqueue(deliveryJobs(CRM, 3, 20));
          return true;
        } catch {
          return false;
        }
      });
      await waitFor('the jobs enqueued after the cut', () => handler.runs.length === 8, 15_000);
      process.stdout.write(`a delayed retry ran ${retriedAfterMs} ms after Redis came back\n`);
    } finally {
      await proxy.close();
    }
  });

  it('runs at most `concurrency` attempts of a lane at once over two replicas', async () => {
    const slow = slowHandler(150);
    const [a, b] = [replica(), replica()];
    await a.start([CRM], slow, 2);
    await b.start([CRM], slow, 2);
    await sleep(200); // both lanes' global concurrency set
    await a.enqueue(deliveryJobs(CRM, 12));
    await waitFor('every run', () => slow.runs.length === 12, 15_000);
    expect(slow.most()).toBe(2);
  });

  it('pauses a lane for every replica', async () => {
    const [a, b] = [replica(), replica()];
    const handler = recordingHandler();
    await a.start([CRM], handler, 1);
    await b.start([CRM], handler, 1);
    await a.pause(CRM);
    await b.enqueue(deliveryJobs(CRM, 2));
    await sleep(300);
    expect(handler.runs).toHaveLength(0);
    await b.resume(CRM);
    await waitFor('two runs', () => handler.runs.length === 2);
  });

  it('refuses an enqueue with StoreUnavailableError, within its bound, when Redis does not answer', async () => {
    const queue = replica({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    const started = Date.now();
    await expect(queue.enqueue([deliveryJob()])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(queue.pause(CRM)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(queue.counts()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
    await queue.close(0);
    // ioredis keeps a 2 s timer to destroy a socket it was told to drop while connecting.
    await sleep(2_100);
  });

  it('refuses an ioredis keyPrefix', () => {
    expect(() => replica({ redisOptions: { keyPrefix: 'bgw:' } })).toThrow(/prefix/);
  });
});
