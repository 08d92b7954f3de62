import type { Logger } from '@nestjs/common';
import type {
  DeliveryJob,
  DeliveryJobState,
  EndpointQueueCount,
  EndpointRef,
} from './event-delivery-queue.interface';

/** Every state a lane reports, zeros included, so that a gauge falls back to 0 when a lane empties. */
export const DELIVERY_JOB_STATES: readonly DeliveryJobState[] = [
  'waiting',
  'delayed',
  'active',
  'paused',
];

/**
 * The lane of an endpoint: `<tenant id>.<endpoint id>`. Both ids match `^[a-z0-9][a-z0-9-]{0,62}$`
 * (the tenant file's rule), so the dot cannot appear in either and two lanes never share a name.
 */
export function laneName(endpoint: EndpointRef): string {
  return `${endpoint.tenantId}.${endpoint.endpointId}`;
}

/** The lane of `endpoint` in `lanes`, made by `make` (given the lane's name and ref) the first time. */
export function laneOf<L>(
  lanes: Map<string, L>,
  endpoint: EndpointRef,
  make: (name: string, ref: EndpointRef) => L,
): L {
  const name = laneName(endpoint);
  let lane = lanes.get(name);
  if (!lane) {
    lane = make(name, { tenantId: endpoint.tenantId, endpointId: endpoint.endpointId });
    lanes.set(name, lane);
  }
  return lane;
}

/**
 * A job's id within its lane: `<event id>.r<replay>` (event ids are `evt_` + base32). Within a lane
 * this is unique per (event, replay); with the lane it is unique per (tenant, endpoint, event,
 * replay), which is what enqueue is idempotent on. It never holds `:` and is never a plain integer
 * (BullMQ refuses both in custom job ids).
 */
export function jobIdInLane(job: Pick<DeliveryJob, 'eventId' | 'replay'>): string {
  return `${job.eventId}.r${job.replay}`;
}

/** One entry per state, for one lane (for `counts()`). */
export function laneCounts(
  endpoint: EndpointRef,
  byState: Readonly<Record<DeliveryJobState, number>>,
): EndpointQueueCount[] {
  return DELIVERY_JOB_STATES.map((state) => ({
    tenantId: endpoint.tenantId,
    endpointId: endpoint.endpointId,
    state,
    count: byState[state],
  }));
}

/** Why `start` refuses a concurrency, if it does. */
export function concurrencyProblem(concurrency: number): RangeError | undefined {
  return Number.isInteger(concurrency) && concurrency >= 1
    ? undefined
    : new RangeError('concurrency must be a positive integer');
}

/** How long to wait before running a job again after its handler threw (a gateway-side fault). */
export interface HandlerErrorBackoff {
  /** The wait after the first throw; it doubles on each further throw of the same job... */
  baseMs: number;
  /** ...up to this. */
  capMs: number;
}

export const DEFAULT_HANDLER_ERROR_BACKOFF: HandlerErrorBackoff = { baseMs: 1_000, capMs: 60_000 };

/** The wait after the `throws`-th consecutive throw (1 for the first). */
export function handlerErrorDelay(backoff: HandlerErrorBackoff, throws: number): number {
  return Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(Math.max(throws - 1, 0), 30));
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A lane's handler throws are logged at most once per this (the store being down fails them all). */
export const HANDLER_ERROR_LOG_EVERY_MS = 60_000;

/**
 * Logs a handler's throw the same way in both queues (no payload: it is the tenant's data), at most
 * once per lane and `everyMs`: while the store is down every job of every lane throws on each run,
 * so the next line says how many throws were left out since the last one.
 */
export class HandlerErrorLog {
  private readonly lanes = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly everyMs = HANDLER_ERROR_LOG_EVERY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  log(job: DeliveryJob, attempt: number, retryInMs: number, error: unknown): void {
    const lane = laneName(job);
    const now = this.now();
    const last = this.lanes.get(lane);
    if (last && now - last.loggedAt < this.everyMs) {
      last.suppressed += 1;
      return;
    }
    this.lanes.set(lane, { loggedAt: now, suppressed: 0 });
    this.logger.error(
      {
        tenantId: job.tenantId,
        endpointId: job.endpointId,
        eventId: job.eventId,
        replay: job.replay,
        attempt,
        retryInMs,
        error: describeError(error),
        ...(last && last.suppressed > 0 && { notLoggedSinceLastLine: last.suppressed }),
      },
      `delivery handler failed; the job runs again later (not counted as an attempt; at most one line per endpoint every ${this.everyMs / 1_000} s)`,
    );
  }
}
