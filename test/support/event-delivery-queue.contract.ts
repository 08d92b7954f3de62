import type { HandlerErrorBackoff } from '../../src/events/delivery/delivery-lanes';
import type {
  DeliveryAttemptResult,
  DeliveryHandler,
  DeliveryJob,
  EndpointQueueCount,
  EndpointRef,
  EventDeliveryQueue,
} from '../../src/events/delivery/event-delivery-queue.interface';

/** What the contract asks of the queue under test: short waits, so that it runs in seconds. */
export interface ContractQueueOptions {
  /** How long a finished job is remembered (enqueueing it again is ignored). */
  finishedRetentionMs: number;
  /** The wait after a handler throws. */
  handlerErrorBackoff: HandlerErrorBackoff;
}

export const CRM: EndpointRef = { tenantId: 'acme', endpointId: 'crm' };
export const BILLING: EndpointRef = { tenantId: 'acme', endpointId: 'billing' };
export const GLOBEX_CRM: EndpointRef = { tenantId: 'globex', endpointId: 'crm' };

export function deliveryJob(overrides: Partial<DeliveryJob> = {}): DeliveryJob {
  return {
    ...CRM,
    eventId: 'evt_01jf3w8k2m4n6p8q0r2s4t6v8x',
    replay: 0,
    payload: '{"id":"evt_01jf3w8k2m4n6p8q0r2s4t6v8x","type":"message.sent"}',
    receivedAtMs: 1_764_756_000_000,
    ...overrides,
  };
}

/** `count` jobs of distinct events on one endpoint. */
export function deliveryJobs(endpoint: EndpointRef, count: number, from = 0): DeliveryJob[] {
  return Array.from({ length: count }, (_, i) =>
    deliveryJob({ ...endpoint, eventId: `evt_${String(from + i).padStart(26, '0')}` }),
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds, failing with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface Run {
  job: DeliveryJob;
  attempt: number;
}

/** A handler that records its runs and answers what `decide` says (done by default). */
export function recordingHandler(
  decide: (job: DeliveryJob, attempt: number, runs: Run[]) => Promise<DeliveryAttemptResult> = () =>
    Promise.resolve({ kind: 'done' }),
): DeliveryHandler & { runs: Run[]; of: (endpoint: EndpointRef) => Run[] } {
  const runs: Run[] = [];
  const handler = (job: DeliveryJob, attempt: number) => {
    runs.push({ job, attempt });
    return decide(job, attempt, runs);
  };
  return Object.assign(handler, {
    runs,
    of: (endpoint: EndpointRef) =>
      runs.filter(
        (run) =>
          run.job.tenantId === endpoint.tenantId && run.job.endpointId === endpoint.endpointId,
      ),
  });
}

function countOf(counts: EndpointQueueCount[], endpoint: EndpointRef, state: string): number {
  return (
    counts.find(
      (count) =>
        count.tenantId === endpoint.tenantId &&
        count.endpointId === endpoint.endpointId &&
        count.state === state,
    )?.count ?? 0
  );
}

const FAST_BACKOFF: HandlerErrorBackoff = { baseMs: 30, capMs: 60 };

/**
 * What every EventDeliveryQueue must do, run against the memory queue (unit) and the BullMQ queue
 * on a real Redis (e2e), so that the two cannot drift apart. `queueUnderTest` makes a fresh queue;
 * the contract closes each one after its test.
 */
/** A handler that takes `ms` per run and tracks how many ran at once (now, and at most). */
export function slowHandler(ms: number) {
  let inFlight = 0;
  let most = 0;
  const handler = recordingHandler(async () => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await sleep(ms);
    inFlight -= 1;
    return { kind: 'done' };
  });
  return Object.assign(handler, { inFlight: () => inFlight, most: () => most });
}

export function eventDeliveryQueueContract(
  queueUnderTest: (options: ContractQueueOptions) => Promise<EventDeliveryQueue>,
): void {
  const opened: EventDeliveryQueue[] = [];
  /** Settles the hanging handlers of a test, so that nothing keeps running after it. */
  const releases: (() => void)[] = [];

  async function open(options: Partial<ContractQueueOptions> = {}): Promise<EventDeliveryQueue> {
    const queue = await queueUnderTest({
      finishedRetentionMs: 60_000,
      handlerErrorBackoff: FAST_BACKOFF,
      ...options,
    });
    opened.push(queue);
    return queue;
  }

  function hanging(): Promise<DeliveryAttemptResult> {
    return new Promise((resolve) => releases.push(() => resolve({ kind: 'done' })));
  }

  afterEach(async () => {
    const queues = opened.splice(0);
    await Promise.all(queues.map((queue) => queue.close(100)));
    for (const release of releases.splice(0)) release();
  });

  describe('idempotent enqueue', () => {
    it('runs a job enqueued twice (in one call and in two) once', async () => {
      const queue = await open();
      const handler = recordingHandler();
      await queue.enqueue([deliveryJob(), deliveryJob()]);
      await queue.enqueue([deliveryJob()]);
      await queue.start([CRM], handler, 4);
      await waitFor('the first run', () => handler.runs.length === 1);
      await queue.enqueue([deliveryJob()]);
      await sleep(300);
      expect(handler.runs).toEqual([{ job: deliveryJob(), attempt: 1 }]);
    });

    it('does not run a finished job again when it is enqueued within the retention', async () => {
      const queue = await open();
      const handler = recordingHandler();
      await queue.start([CRM], handler, 4);
      await queue.enqueue([deliveryJob()]);
      await waitFor('the run', () => handler.runs.length === 1);
      await sleep(100);
      await queue.enqueue([deliveryJob()]);
      await sleep(300);
      expect(handler.runs).toHaveLength(1);
    });

    it('runs each (tenant, endpoint, event, replay) of one event once', async () => {
      const queue = await open();
      const handler = recordingHandler();
      await queue.start([CRM, BILLING, GLOBEX_CRM], handler, 4);
      const jobs = [
        deliveryJob(),
        deliveryJob(BILLING),
        deliveryJob(GLOBEX_CRM),
        deliveryJob({ replay: 1 }),
        deliveryJob({ replay: 2 }),
      ];
      await queue.enqueue([...jobs, ...jobs]);
      await waitFor('five runs', () => handler.runs.length === 5);
      await sleep(300);
      const runOf = (job: DeliveryJob) => ({ job, attempt: 1 });
      expect(handler.runs).toHaveLength(5);
      expect(handler.runs).toEqual(expect.arrayContaining(jobs.map(runOf)));
    });

    it('hands the handler the job exactly as it was enqueued', async () => {
      const queue = await open();
      const handler = recordingHandler();
      await queue.start([CRM], handler, 1);
      const job = deliveryJob({ payload: '{"text":"héllo \\u2028 ✓","n":1}', receivedAtMs: 42 });
      await queue.enqueue([job]);
      await waitFor('the run', () => handler.runs.length === 1);
      expect(handler.runs[0].job).toEqual(job);
    });
  });

  describe('retries', () => {
    it('runs a job again after the wait its handler asks for, numbering the attempts 1, 2, 3', async () => {
      const queue = await open();
      const ran: { attempt: number; at: number }[] = [];
      const handler = recordingHandler((_job, attempt) => {
        ran.push({ attempt, at: Date.now() });
        return Promise.resolve(
          attempt < 3 ? { kind: 'retry', delayMs: 200 } : { kind: 'done' as const },
        );
      });
      await queue.start([CRM], handler, 2);
      await queue.enqueue([deliveryJob()]);
      await waitFor('three attempts', () => ran.length === 3);
      await sleep(400);
      expect(ran.map((run) => run.attempt)).toEqual([1, 2, 3]);
      expect(ran[1].at - ran[0].at).toBeGreaterThanOrEqual(190);
      expect(ran[2].at - ran[1].at).toBeGreaterThanOrEqual(190);
      // Still idempotent after retries: the job is finished, not forgotten.
      await queue.enqueue([deliveryJob()]);
      await sleep(200);
      expect(ran).toHaveLength(3);
    });

    it('runs a job whose handler threw again, without counting that run as an attempt', async () => {
      const queue = await open();
      let throws = 0;
      const handler = recordingHandler((_job, attempt) => {
        if (attempt === 1 && throws < 2) {
          throws += 1;
          return Promise.reject(new Error('the attempt store did not answer'));
        }
        if (attempt === 2 && throws < 3) {
          throws += 1;
          throw new Error('thrown synchronously');
        }
        return Promise.resolve(
          attempt < 3 ? { kind: 'retry', delayMs: 20 } : { kind: 'done' as const },
        );
      });
      await queue.start([CRM], handler, 1);
      await queue.enqueue([deliveryJob()]);
      await waitFor('the third attempt', () => handler.runs.some((run) => run.attempt === 3));
      await sleep(300);
      expect(handler.runs.map((run) => run.attempt)).toEqual([1, 1, 1, 2, 2, 3]);
    });
  });

  describe('lanes', () => {
    it('runs at most `concurrency` attempts at once per endpoint, and all of them in the end', async () => {
      const queue = await open();
      const handler = slowHandler(40);
      await queue.start([CRM], handler, 3);
      await queue.enqueue(deliveryJobs(CRM, 12));
      await waitFor('twelve runs', () => handler.runs.length === 12 && handler.inFlight() === 0);
      expect(handler.most()).toBe(3);
    });

    it('keeps a hanging endpoint to its own lane: another endpoint’s jobs all complete quickly', async () => {
      const queue = await open();
      const handler = recordingHandler((job) =>
        job.endpointId === CRM.endpointId ? hanging() : Promise.resolve({ kind: 'done' }),
      );
      await queue.start([CRM, BILLING], handler, 2);
      await queue.enqueue(deliveryJobs(CRM, 6));
      await waitFor('the hanging lane to fill', () => handler.of(CRM).length === 2);
      const started = Date.now();
      await queue.enqueue(deliveryJobs(BILLING, 20, 100));
      await waitFor('every billing job', () => handler.of(BILLING).length === 20, 3_000);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(handler.of(CRM)).toHaveLength(2);
      const counts = await queue.counts();
      expect(countOf(counts, CRM, 'active')).toBe(2);
      expect(countOf(counts, CRM, 'waiting')).toBe(4);
      expect(countOf(counts, BILLING, 'active')).toBe(0);
      expect(countOf(counts, BILLING, 'waiting')).toBe(0);
    });

    it('runs jobs of an endpoint it was not started with, once they are enqueued', async () => {
      const queue = await open();
      const handler = recordingHandler();
      await queue.start([CRM], handler, 2);
      await queue.enqueue([deliveryJob(BILLING)]);
      await waitFor('the billing run', () => handler.of(BILLING).length === 1);
    });
  });

  describe('pause and resume', () => {
    it('holds an endpoint’s jobs while it is paused, and runs them once it is resumed', async () => {
      const queue = await open();
      const handler = recordingHandler();
      await queue.start([CRM, BILLING], handler, 2);
      await queue.pause(CRM);
      await queue.enqueue([...deliveryJobs(CRM, 3), ...deliveryJobs(BILLING, 2, 10)]);
      await waitFor('billing’s runs', () => handler.of(BILLING).length === 2);
      await sleep(300);
      expect(handler.of(CRM)).toHaveLength(0);
      const counts = await queue.counts();
      expect(countOf(counts, CRM, 'paused')).toBe(3);
      expect(countOf(counts, CRM, 'waiting')).toBe(0);

      await queue.resume(CRM);
      await waitFor('crm’s runs', () => handler.of(CRM).length === 3);
      await waitFor('an empty crm lane', async () =>
        (await queue.counts())
          .filter((count) => count.endpointId === CRM.endpointId)
          .every((count) => count.count === 0),
      );
    });

    it('holds a delayed job of a paused endpoint when its wait is over', async () => {
      const queue = await open();
      const handler = recordingHandler((_job, attempt) =>
        Promise.resolve(attempt === 1 ? { kind: 'retry', delayMs: 150 } : { kind: 'done' }),
      );
      await queue.start([CRM], handler, 1);
      await queue.enqueue([deliveryJob()]);
      await waitFor('the first attempt', () => handler.runs.length === 1);
      await queue.pause(CRM);
      await sleep(500);
      expect(handler.runs).toHaveLength(1);
      await queue.resume(CRM);
      await waitFor('the second attempt', () => handler.runs.length === 2);
      expect(handler.runs[1].attempt).toBe(2);
    });
    it('re-queues a held job (the handler paused its endpoint) without counting an attempt', async () => {
      const queue = await open();
      const handler = recordingHandler(async (job, _attempt, runs) => {
        if (runs.length > 1) return { kind: 'done' };
        await queue.pause(job);
        return { kind: 'hold' };
      });
      await queue.start([CRM], handler, 1);
      await queue.enqueue([deliveryJob()]);
      await waitFor('the held run', () => handler.runs.length === 1);
      await sleep(300);
      expect(handler.runs).toHaveLength(1);
      expect(countOf(await queue.counts(), CRM, 'paused')).toBe(1);
      await queue.resume(CRM);
      await waitFor('the run after resume', () => handler.runs.length === 2);
      expect(handler.runs.map((run) => run.attempt)).toEqual([1, 1]);
    });
  });

  describe('counts', () => {
    it('counts waiting, delayed and active jobs per endpoint, with a zero for every other state', async () => {
      const queue = await open();
      const handler = recordingHandler((job) =>
        job.eventId.endsWith('0') ? Promise.resolve({ kind: 'retry', delayMs: 60_000 }) : hanging(),
      );
      await queue.start([CRM, BILLING], handler, 1);
      await queue.enqueue(deliveryJobs(BILLING, 1));
      await waitFor('billing’s job to be delayed', async () => {
        return countOf(await queue.counts(), BILLING, 'delayed') === 1;
      });
      await queue.enqueue(deliveryJobs(CRM, 3, 1));
      await waitFor('crm’s first job to run', () => handler.of(CRM).length === 1);
      await waitFor('the counts', async () => {
        const counts = await queue.counts();
        return countOf(counts, CRM, 'active') === 1 && countOf(counts, CRM, 'waiting') === 2;
      });
      const counts = await queue.counts();
      const lane = (endpoint: EndpointRef) =>
        counts
          .filter((count) => count.endpointId === endpoint.endpointId)
          .map(({ state, count }) => [state, count])
          .sort();
      expect(lane(CRM)).toEqual([
        ['active', 1],
        ['delayed', 0],
        ['paused', 0],
        ['waiting', 2],
      ]);
      expect(lane(BILLING)).toEqual([
        ['active', 0],
        ['delayed', 1],
        ['paused', 0],
        ['waiting', 0],
      ]);
      expect(counts.every((count) => count.tenantId === 'acme')).toBe(true);
    });
  });

  describe('close', () => {
    it('lets a running attempt finish within the grace period, then takes no more jobs', async () => {
      const queue = await open();
      let finished = 0;
      const handler = recordingHandler(async () => {
        await sleep(200);
        finished += 1;
        return { kind: 'done' };
      });
      await queue.start([CRM], handler, 1);
      await queue.enqueue(deliveryJobs(CRM, 3));
      await waitFor('the first run', () => handler.runs.length === 1);
      await queue.close(5_000);
      expect(finished).toBe(1);
      await sleep(300);
      expect(handler.runs).toHaveLength(1);
    });

    it('stops waiting for a hanging attempt once the grace period is over', async () => {
      const queue = await open();
      const handler = recordingHandler(() => hanging());
      await queue.start([CRM], handler, 1);
      await queue.enqueue([deliveryJob()]);
      await waitFor('the run', () => handler.runs.length === 1);
      const started = Date.now();
      await queue.close(300);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(3_000);
    });
  });
}
