/**
 * The durable part of pushing events to tenant endpoints (DESIGN §11): run each delivery job until
 * its handler says it is done, again after the wait the handler asks for, across restarts and
 * replicas when the queue is BullMQ's. What an attempt does (sign, POST, record the attempt) and
 * how long to wait (EVENT_RETRY_SCHEDULE, jitter, Retry-After) are the handler's: both queues run
 * the same handler, so memory and Redis retry alike.
 */

/** Where a job goes: one endpoint of one tenant. Each endpoint is its own lane. */
export interface EndpointRef {
  tenantId: string;
  endpointId: string;
}

export interface DeliveryJob extends EndpointRef {
  /** The gateway event's id: the `webhook-id` of every attempt and replay. */
  eventId: string;
  /** 0 for the first delivery, then 1, 2... for each replay: one job per (endpoint, event, replay). */
  replay: number;
  /** The exact bytes to sign and send (the event as JSON), the same on every attempt. */
  payload: string;
  /** When the gateway received the event (ms since the epoch): the delivery-latency histogram's start. */
  receivedAtMs: number;
}

/** What the handler decided after one attempt. */
export type DeliveryAttemptResult =
  /** Delivered, or finished for good (the last attempt failed): the queue forgets the job. */
  | { kind: 'done' }
  /** Run the job again after this wait (the next attempt of the schedule). */
  | { kind: 'retry'; delayMs: number }
  /**
   * Not attempted (its endpoint is disabled, and the handler paused its lane): queue it again as
   * it was, the same attempt number next time; it runs once the lane is resumed.
   */
  | { kind: 'hold' };

/**
 * One attempt of a job. `attempt` is 1 for the first attempt of this job (a replay starts at 1
 * again). A thrown error is a bug or an outage of the gateway's own store: the queue logs it and
 * runs the job again later, without counting it as an attempt of the endpoint.
 */
export type DeliveryHandler = (job: DeliveryJob, attempt: number) => Promise<DeliveryAttemptResult>;

export type DeliveryJobState = 'waiting' | 'delayed' | 'active' | 'paused';

export interface EndpointQueueCount extends EndpointRef {
  state: DeliveryJobState;
  count: number;
}

export interface EventDeliveryQueue {
  /**
   * Starts running jobs of these endpoints with `handler`, at most `concurrency` at once per
   * endpoint: a slow endpoint only ever holds its own lane.
   */
  start(
    endpoints: readonly EndpointRef[],
    handler: DeliveryHandler,
    concurrency: number,
  ): Promise<void>;
  /**
   * Queues jobs to run now. Idempotent per (tenant, endpoint, event, replay): a job already queued,
   * running, or finished within the retention is not queued again. Resolves once the jobs are
   * stored (durably with Redis); rejects when they cannot be (then the caller answers 503).
   */
  enqueue(jobs: readonly DeliveryJob[]): Promise<void>;
  /** Holds an endpoint's lane (a 410 disabled it): its jobs wait, none runs until `resume`. */
  pause(endpoint: EndpointRef): Promise<void>;
  resume(endpoint: EndpointRef): Promise<void>;
  /** How many jobs wait, are delayed, run or are held, per endpoint (the `bgw_event_queue_jobs` gauge). */
  counts(): Promise<EndpointQueueCount[]>;
  /**
   * Stops taking jobs; a running attempt may finish until `graceMs`, then whatever is still running
   * is left to run again (BullMQ: returned to the queue; memory: lost, as the README says).
   */
  close(graceMs: number): Promise<void>;
}

/** Injection token of the EventDeliveryQueue in use (BullMQ with REDIS_URL, else memory). */
export const EVENT_DELIVERY_QUEUE = Symbol('EVENT_DELIVERY_QUEUE');
