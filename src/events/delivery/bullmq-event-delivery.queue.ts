import { Logger } from '@nestjs/common';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import Redis, { type RedisOptions } from 'ioredis';
import { InFlightWork } from '../../lifecycle/in-flight-work';
import { StoreUnavailableError, storeCall } from '../../redis/store-unavailable.error';
import {
  concurrencyProblem,
  DEFAULT_HANDLER_ERROR_BACKOFF,
  handlerErrorDelay,
  type HandlerErrorBackoff,
  jobIdInLane,
  laneCounts,
  laneOf,
  HandlerErrorLog,
  describeError,
} from './delivery-lanes';
import type {
  DeliveryHandler,
  DeliveryJob,
  DeliveryJobState,
  EndpointQueueCount,
  EndpointRef,
  EventDeliveryQueue,
} from './event-delivery-queue.interface';

/** What a BullMQ job holds: the delivery job, and which attempt its next run is. */
interface LaneJobData {
  job: DeliveryJob;
  attempt: number;
}

type LaneJob = Job<LaneJobData, void, string>;

interface Lane {
  ref: EndpointRef;
  queue: Queue<LaneJobData, void, string>;
  worker?: Worker<LaneJobData, void, string>;
  /** Whether the lane's global concurrency (over every replica) is set, or being set, in Redis. */
  limited?: boolean;
}

/** A run of this process's workers, to hand back to the queue when the grace period is over. */
interface Running {
  job: LaneJob;
  token?: string;
}

export interface BullmqEventDeliveryQueueOptions {
  /** `redis://` or `rediss://` (the gateway's REDIS_URL). */
  url: string;
  /** Extra ioredis options (TLS...); never `keyPrefix`: BullMQ refuses it, `prefix` is used. */
  redisOptions?: RedisOptions;
  /** BullMQ's key prefix: every key is `<prefix>:<lane>:…`. */
  prefix: string;
  /** How long a finished job is kept (its id then makes an enqueue of the same job a no-op). */
  finishedRetentionMs: number;
  /** At most this many finished jobs kept per lane (BullMQ's `removeOnComplete.count`). */
  maxFinishedPerLane?: number;
  handlerErrorBackoff?: HandlerErrorBackoff;
  /**
   * BullMQ's lock duration and stalled-check interval: a job whose worker died (kill -9, a lost
   * host) is run again by another worker within about twice this.
   */
  stalledMs?: number;
  /** An enqueue, pause, resume or count that Redis has not answered by then fails (fail closed). */
  commandTimeoutMs?: number;
}

const JOB_NAME = 'deliver';
/** A thrown handler error is retried by BullMQ for as long as it takes (capped backoff). */
const UNLIMITED_ATTEMPTS = Number.MAX_SAFE_INTEGER;
const HANDLER_ERROR_BACKOFF = 'handler-error';
/** A job that stalls this often (its worker died each time it ran it) is given up, and logged. */
const MAX_STALLED_COUNT = 20;
const WORKER_ERROR_LOG_EVERY_MS = 60_000;

/**
 * The delivery queue with Redis: BullMQ (OSS). One BullMQ queue and one worker per endpoint lane,
 * which is how BullMQ OSS isolates an endpoint: the lane's global concurrency (every replica's
 * workers together) and each worker's `concurrency` are the lane's, and a hanging endpoint fills
 * only its own workers (per-group concurrency is BullMQ Pro's "groups",
 * which this does not use). Jobs survive restarts and are shared by every replica's workers.
 *
 * - Idempotent enqueue: a job's BullMQ id is `<event id>.r<replay>` in its lane's queue; BullMQ
 *   ignores an add whose id exists, and finished jobs are kept `finishedRetentionMs`
 *   (`removeOnComplete.age`), so an enqueue of a job finished within the retention is ignored.
 * - A retry asked for by the handler: the documented pattern, `job.moveToDelayed(ts, token)` and
 *   `DelayedError`; the attempt number lives in the job's data.
 * - A thrown handler error: BullMQ's own attempts and backoff (capped, unlimited attempts); the
 *   attempt number in the data is not advanced.
 * - Its own connections, without `keyPrefix`: one for every lane's producer calls (no offline
 *   queue: a call fails fast when Redis is away, and every call is bounded by
 *   `commandTimeoutMs`), one shared by the workers for their non-blocking commands
 *   (`maxRetriesPerRequest: null`, as BullMQ requires), and each worker's own blocking one.
 */
export class BullmqEventDeliveryQueue implements EventDeliveryQueue {
  private readonly logger = new Logger(BullmqEventDeliveryQueue.name);
  private readonly handlerErrors = new HandlerErrorLog(this.logger);
  private readonly producer: Redis;
  private readonly workerConnection: Redis;
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Running>();
  private readonly runs = new InFlightWork();
  private readonly backoff: HandlerErrorBackoff;
  private readonly stalledMs: number;
  private readonly commandTimeoutMs: number;
  private readonly retentionSeconds: number;
  private handler?: DeliveryHandler;
  private concurrency = 1;
  private closing?: Promise<void>;

  constructor(private readonly options: BullmqEventDeliveryQueueOptions) {
    if (options.redisOptions?.keyPrefix) {
      throw new TypeError('BullMQ refuses an ioredis keyPrefix: give its prefix instead');
    }
    this.backoff = options.handlerErrorBackoff ?? DEFAULT_HANDLER_ERROR_BACKOFF;
    this.stalledMs = options.stalledMs ?? 30_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
    this.retentionSeconds = Math.max(1, Math.ceil(options.finishedRetentionMs / 1_000));
    const reconnect = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000);
    this.producer = new Redis(options.url, {
      ...options.redisOptions,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: Math.max(this.commandTimeoutMs, 2_000),
      retryStrategy: reconnect,
    });
    this.workerConnection = new Redis(options.url, {
      ...options.redisOptions,
      maxRetriesPerRequest: null,
      retryStrategy: reconnect,
    });
    // Connection errors are seen by every call that fails, and by readiness: not logged per retry.
    this.producer.on('error', () => undefined);
    this.workerConnection.on('error', () => undefined);
  }

  start(
    endpoints: readonly EndpointRef[],
    handler: DeliveryHandler,
    concurrency: number,
  ): Promise<void> {
    const problem = concurrencyProblem(concurrency);
    if (problem) return Promise.reject(problem);
    if (this.closing) return Promise.reject(new Error('The delivery queue is closed'));
    this.handler = handler;
    this.concurrency = concurrency;
    for (const endpoint of endpoints) this.lane(endpoint);
    for (const lane of this.lanes.values()) this.startWorker(lane);
    // Not waiting for Redis: a worker connects (and reconnects) on its own.
    return Promise.resolve();
  }

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    if (this.closing) throw new StoreUnavailableError(new Error('The delivery queue is closed'));
    const byLane = new Map<Lane, DeliveryJob[]>();
    for (const job of jobs) {
      const lane = this.lane(job);
      byLane.set(lane, [...(byLane.get(lane) ?? []), job]);
    }
    await this.bounded('enqueue', () =>
      Promise.all(
        [...byLane].map(([lane, laneJobs]) =>
          lane.queue.addBulk(
            laneJobs.map((job) => ({
              name: JOB_NAME,
              data: { job: copyOf(job), attempt: 1 },
              opts: {
                jobId: jobIdInLane(job),
                attempts: UNLIMITED_ATTEMPTS,
                backoff: { type: HANDLER_ERROR_BACKOFF },
                removeOnComplete: {
                  age: this.retentionSeconds,
                  count: this.options.maxFinishedPerLane ?? 100_000,
                },
                removeOnFail: { age: this.retentionSeconds },
              },
            })),
          ),
        ),
      ),
    );
    if (this.handler) for (const lane of byLane.keys()) this.startWorker(lane);
  }

  /**
   * Bounds the lane's running jobs over every replica's workers to `concurrency` (BullMQ's global
   * concurrency, kept in the queue's meta key): each worker's own `concurrency` alone would allow
   * `concurrency` per replica. Set once per lane and process; tried again on the next enqueue when
   * Redis did not answer.
   */
  private limit(lane: Lane): void {
    if (this.closing || !this.handler || lane.limited) return;
    lane.limited = true;
    this.bounded('set the global concurrency', () =>
      lane.queue.setGlobalConcurrency(this.concurrency),
    ).catch(() => {
      lane.limited = false;
    });
  }

  /** Pauses the lane's BullMQ queue: every replica's worker of that lane stops taking its jobs. */
  async pause(endpoint: EndpointRef): Promise<void> {
    await this.bounded('pause', () => this.lane(endpoint).queue.pause());
  }

  async resume(endpoint: EndpointRef): Promise<void> {
    await this.bounded('resume', () => this.lane(endpoint).queue.resume());
  }

  /** Per lane known to this process (those it runs and those it enqueued to), from Redis. */
  async counts(): Promise<EndpointQueueCount[]> {
    const lanes = [...this.lanes.values()];
    const perLane = await this.bounded('count', () =>
      Promise.all(
        lanes.map((lane) =>
          lane.queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed', 'active'),
        ),
      ),
    );
    return lanes.flatMap((lane, index) => {
      const counts = perLane[index];
      const byState: Record<DeliveryJobState, number> = {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        paused: counts.paused ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
      };
      return laneCounts(lane.ref, byState);
    });
  }

  /**
   * Stops taking jobs; lets running attempts finish for up to `graceMs`; then hands those still
   * running back to their queues (another replica, or this one after a restart, runs them again:
   * at-least-once, same job) and closes. When Redis is away the hand-back fails and the jobs stall
   * instead: another worker takes them once their lock expires (`stalledMs`).
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= this.shutDown(graceMs);
    return this.closing;
  }

  private async shutDown(graceMs: number): Promise<void> {
    const lanes = [...this.lanes.values()];
    const workers = lanes.flatMap((lane) => (lane.worker ? [lane.worker] : []));
    await Promise.all(workers.map((worker) => worker.pause(true)));
    await this.runs.settled(graceMs);
    const unfinished = [...this.running];
    if (unfinished.length > 0) {
      const handedBack = await Promise.all(
        unfinished.map((run) =>
          withTimeout(run.job.moveToWait(run.token), this.commandTimeoutMs).then(
            () => true,
            () => false,
          ),
        ),
      );
      this.logger.warn(
        {
          handedBack: handedBack.filter(Boolean).length,
          leftToStall: handedBack.filter((back) => !back).length,
          graceMs,
        },
        'deliveries still running after the grace period are returned to the queue',
      );
    }
    await Promise.all(workers.map((worker) => worker.close(true).catch(() => undefined)));
    await Promise.all(lanes.map((lane) => lane.queue.close().catch(() => undefined)));
    for (const connection of [this.producer, this.workerConnection]) {
      await withTimeout(connection.quit(), this.commandTimeoutMs).catch(() =>
        connection.disconnect(),
      );
    }
  }

  private lane(endpoint: EndpointRef): Lane {
    return laneOf(this.lanes, endpoint, (name, ref) => {
      const queue = new Queue<LaneJobData, void, string>(name, {
        connection: this.producer,
        prefix: this.options.prefix,
      });
      queue.on('error', () => undefined);
      return { ref, queue };
    });
  }

  private startWorker(lane: Lane): void {
    this.limit(lane);
    if (lane.worker || this.closing) return;
    const worker = new Worker<LaneJobData, void, string>(
      lane.queue.name,
      (job, token) => this.process(job, token),
      {
        connection: this.workerConnection,
        prefix: this.options.prefix,
        concurrency: this.concurrency,
        lockDuration: this.stalledMs,
        stalledInterval: this.stalledMs,
        maxStalledCount: MAX_STALLED_COUNT,
        // After a lost connection, the worker tries again this soon (BullMQ's default is 15 s).
        runRetryDelay: 1_000,
        settings: {
          backoffStrategy: (attemptsMade: number) => handlerErrorDelay(this.backoff, attemptsMade),
        },
      },
    );
    // A Redis outage makes every worker fail on each reconnection attempt: one line per lane and
    // WORKER_ERROR_LOG_EVERY_MS is enough (RedisConnection already logs the outage itself).
    let loggedAt = -Infinity;
    worker.on('error', (error) => {
      if (this.closing || Date.now() - loggedAt < WORKER_ERROR_LOG_EVERY_MS) return;
      loggedAt = Date.now();
      this.logger.warn(
        { lane: lane.queue.name, error: describeError(error) },
        'delivery worker error; it keeps retrying',
      );
    });
    worker.on('stalled', (jobId) => {
      this.logger.warn(
        { lane: lane.queue.name, jobId },
        'a delivery job stalled (its worker stopped); running it again',
      );
    });
    worker.on('failed', (job, error) => {
      // Only a job BullMQ gives up on: a handler's throw is retried, and logged where it happens.
      if (job && job.finishedOn && !(error instanceof DelayedError)) {
        this.logger.error(
          { lane: lane.queue.name, jobId: job.id, error: describeError(error) },
          'a delivery job was given up',
        );
      }
    });
    lane.worker = worker;
  }

  private process(job: LaneJob, token?: string): Promise<void> {
    const run: Running = { job, token };
    this.running.add(run);
    return this.runs.track(this.attempt(job, token)).finally(() => this.running.delete(run));
  }

  private async attempt(job: LaneJob, token?: string): Promise<void> {
    const { attempt } = job.data;
    let result;
    try {
      result = await this.handler!(copyOf(job.data.job), attempt);
    } catch (error) {
      this.handlerErrors.log(
        job.data.job,
        attempt,
        handlerErrorDelay(this.backoff, job.attemptsMade + 1),
        error,
      );
      throw error;
    }
    if (result.kind === 'done') return;
    // Held: back to its (paused) lane as it was; a retry: the next attempt, after its wait.
    if (result.kind === 'retry') await job.updateData({ job: job.data.job, attempt: attempt + 1 });
    const delayMs = result.kind === 'retry' ? Math.max(0, result.delayMs) : 0;
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  /** Runs producer calls within `commandTimeoutMs`; any failure is a StoreUnavailableError. */
  private bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return storeCall(() => withTimeout(call(), this.commandTimeoutMs, what));
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what = 'Redis call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function copyOf(job: DeliveryJob): DeliveryJob {
  return {
    tenantId: job.tenantId,
    endpointId: job.endpointId,
    eventId: job.eventId,
    replay: job.replay,
    payload: job.payload,
    receivedAtMs: job.receivedAtMs,
  };
}
