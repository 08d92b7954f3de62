import { Logger } from '@nestjs/common';
import { evictForOne } from '../../common/evict-for-one';
import { InFlightWork } from '../../lifecycle/in-flight-work';
import {
  concurrencyProblem,
  DEFAULT_HANDLER_ERROR_BACKOFF,
  handlerErrorDelay,
  type HandlerErrorBackoff,
  jobIdInLane,
  laneCounts,
  laneName,
  laneOf,
  HandlerErrorLog,
} from './delivery-lanes';
import type {
  DeliveryHandler,
  DeliveryJob,
  DeliveryJobState,
  EndpointQueueCount,
  EndpointRef,
  EventDeliveryQueue,
} from './event-delivery-queue.interface';

interface Entry {
  key: string;
  job: DeliveryJob;
  /** The attempt the next run is (1 for the first). */
  attempt: number;
  /** Consecutive throws of the handler (gateway faults, not attempts), for their backoff. */
  throws: number;
  timer?: NodeJS.Timeout;
}

interface Lane {
  ref: EndpointRef;
  waiting: Entry[];
  delayed: Set<Entry>;
  active: number;
  paused: boolean;
}

export interface MemoryEventDeliveryQueueOptions {
  /** How long a finished job's id is remembered, so that enqueueing it again is ignored. */
  finishedRetentionMs: number;
  /** At most this many finished ids are remembered (the oldest are forgotten first). */
  maxFinished?: number;
  handlerErrorBackoff?: HandlerErrorBackoff;
  now?: () => number;
}

/**
 * The delivery queue of a gateway without Redis: one lane per endpoint in this process's memory,
 * at most `concurrency` attempts running per lane, waits on unref'd timers (they never hold the
 * process up). Nothing survives a restart: jobs waiting, delayed or running when the process ends
 * are lost (the README says so); use REDIS_URL for durable delivery.
 *
 * Idempotent enqueue: a job queued, delayed or running is known by its (tenant, endpoint, event,
 * replay); a finished one is remembered for `finishedRetentionMs`, but only the most recent
 * `maxFinished` of them (a bounded memory: past that, the oldest finished ids are forgotten and an
 * enqueue of one of those runs again, which at-least-once delivery allows).
 */
export class MemoryEventDeliveryQueue implements EventDeliveryQueue {
  private readonly logger = new Logger(MemoryEventDeliveryQueue.name);
  private readonly handlerErrors = new HandlerErrorLog(this.logger);
  private readonly lanes = new Map<string, Lane>();
  /** Jobs queued, delayed or running, by lane + job id. */
  private readonly pending = new Map<string, Entry>();
  /** Finished jobs' keys, oldest first, with when they may be run again. */
  private readonly finished = new Map<string, { expiresAt: number }>();
  private readonly running = new InFlightWork();
  private readonly maxFinished: number;
  private readonly backoff: HandlerErrorBackoff;
  private readonly now: () => number;
  private handler?: DeliveryHandler;
  private concurrency = 1;
  private closed = false;

  constructor(private readonly options: MemoryEventDeliveryQueueOptions) {
    this.maxFinished = options.maxFinished ?? 100_000;
    this.backoff = options.handlerErrorBackoff ?? DEFAULT_HANDLER_ERROR_BACKOFF;
    this.now = options.now ?? Date.now;
  }

  start(
    endpoints: readonly EndpointRef[],
    handler: DeliveryHandler,
    concurrency: number,
  ): Promise<void> {
    const problem = concurrencyProblem(concurrency);
    if (problem) return Promise.reject(problem);
    this.handler = handler;
    this.concurrency = concurrency;
    for (const endpoint of endpoints) this.lane(endpoint);
    for (const lane of this.lanes.values()) this.pump(lane);
    return Promise.resolve();
  }

  enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The delivery queue is closed'));
    const now = this.now();
    const touched = new Set<Lane>();
    for (const job of jobs) {
      const lane = this.lane(job);
      const key = `${laneName(job)}/${jobIdInLane(job)}`;
      if (this.pending.has(key)) continue;
      const done = this.finished.get(key);
      if (done && done.expiresAt > now) continue;
      if (done) this.finished.delete(key);
      const entry: Entry = { key, job: { ...job }, attempt: 1, throws: 0 };
      this.pending.set(key, entry);
      lane.waiting.push(entry);
      touched.add(lane);
    }
    for (const lane of touched) this.pump(lane);
    return Promise.resolve();
  }

  pause(endpoint: EndpointRef): Promise<void> {
    this.lane(endpoint).paused = true;
    return Promise.resolve();
  }

  resume(endpoint: EndpointRef): Promise<void> {
    const lane = this.lane(endpoint);
    lane.paused = false;
    this.pump(lane);
    return Promise.resolve();
  }

  counts(): Promise<EndpointQueueCount[]> {
    const counts: EndpointQueueCount[] = [];
    for (const lane of this.lanes.values()) {
      const byState: Record<DeliveryJobState, number> = {
        waiting: lane.paused ? 0 : lane.waiting.length,
        paused: lane.paused ? lane.waiting.length : 0,
        delayed: lane.delayed.size,
        active: lane.active,
      };
      counts.push(...laneCounts(lane.ref, byState));
    }
    return Promise.resolve(counts);
  }

  /** Stops taking jobs, waits up to `graceMs` for running attempts, then drops everything left. */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const lane of this.lanes.values()) {
      for (const entry of lane.delayed) clearTimeout(entry.timer);
    }
    await this.running.settled(graceMs);
    const lost = this.pending.size;
    if (lost > 0) {
      this.logger.warn({ lost }, 'in-memory deliveries not finished at shutdown are lost');
    }
    this.pending.clear();
    this.lanes.clear();
  }

  private lane(endpoint: EndpointRef): Lane {
    return laneOf(this.lanes, endpoint, (_name, ref) => ({
      ref,
      waiting: [],
      delayed: new Set(),
      active: 0,
      paused: false,
    }));
  }

  private pump(lane: Lane): void {
    const handler = this.handler;
    if (!handler) return;
    while (!this.closed && !lane.paused && lane.active < this.concurrency) {
      const entry = lane.waiting.shift();
      if (!entry) return;
      lane.active += 1;
      const run = this.running.track(this.run(lane, entry, handler));
      void run.finally(() => {
        lane.active -= 1;
        this.pump(lane);
      });
    }
  }

  private async run(lane: Lane, entry: Entry, handler: DeliveryHandler): Promise<void> {
    let delayMs: number;
    try {
      const result = await handler(entry.job, entry.attempt);
      entry.throws = 0;
      if (result.kind === 'done') {
        this.finish(entry);
        return;
      }
      if (result.kind === 'hold') {
        delayMs = 0;
      } else {
        entry.attempt += 1;
        delayMs = Math.max(0, result.delayMs);
      }
    } catch (error) {
      entry.throws += 1;
      delayMs = handlerErrorDelay(this.backoff, entry.throws);
      this.handlerErrors.log(entry.job, entry.attempt, delayMs, error);
    }
    if (this.closed) return;
    this.delay(lane, entry, delayMs);
  }

  private delay(lane: Lane, entry: Entry, delayMs: number): void {
    lane.delayed.add(entry);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      lane.delayed.delete(entry);
      if (this.closed) return;
      lane.waiting.push(entry);
      this.pump(lane);
    }, delayMs);
    entry.timer.unref();
  }

  private finish(entry: Entry): void {
    this.pending.delete(entry.key);
    const now = this.now();
    evictForOne(this.finished, this.maxFinished, now, (key) => this.finished.delete(key));
    this.finished.set(entry.key, { expiresAt: now + this.options.finishedRetentionMs });
  }
}
