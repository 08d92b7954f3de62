import { Logger } from '@nestjs/common';
import type { BlooioEvent } from './blooio-event';

/**
 * Events waiting for their message's record (DESIGN §11: up to 60 s). Past this many, a new one is
 * answered 503 so that Blooio keeps it and retries, rather than the gateway holding more than it
 * can bound: per process in memory, for all replicas together in Redis.
 */
export const MAX_PENDING_RECHECKS = 10_000;

export const WAITING_EVENTS = Symbol('WAITING_EVENTS');

/** An authenticated event of one tenant, answered 204 already, to be routed again later. */
export interface WaitingEvent {
  tenantId: string;
  eventId: string;
  /** The event as read (and cleaned) when it was received: its signature is not checked again. */
  event: BlooioEvent;
  firstReceivedAtMs: number;
  /** How many more times a re-check that found the store down is tried again. */
  storeRetries: number;
}

/** What a re-check decided: done (recorded, not this tenant's, or given up), or look again later. */
export type RecheckResult =
  { again: false } | { again: true; afterMs: number; waiting: WaitingEvent };

export type RecheckHandler = (waiting: WaitingEvent) => Promise<RecheckResult>;

/** More than MAX_PENDING_RECHECKS events wait already. */
export class WaitingEventsFullError extends Error {
  constructor() {
    super(`${MAX_PENDING_RECHECKS} events already wait for their message's record`);
    this.name = 'WaitingEventsFullError';
  }
}

/**
 * Where waiting events are kept until they are due: this process's timers, or Redis (any replica
 * re-checks them, one replica each, and a crash loses none).
 */
export interface WaitingEvents {
  /** The receiver's re-check, given each due event once; set once, before any `wait`. */
  handle(handler: RecheckHandler): void;
  /**
   * Keeps the event to be handed to the handler in `afterMs`. An event already waiting adds
   * nothing. Throws WaitingEventsFullError past the cap, StoreUnavailableError when Redis fails.
   */
  wait(waiting: WaitingEvent, afterMs: number): Promise<void>;
  /** How many events wait. */
  count(): Promise<number>;
  /** Stops handing events out; what waits in memory is dropped (and said so). */
  close(): Promise<void>;
}

/** Tenant ids hold no `/` (TENANT_ID_PATTERN). */
export const waitingKeyOf = (waiting: Pick<WaitingEvent, 'tenantId' | 'eventId'>) =>
  `${waiting.tenantId}/${waiting.eventId}`;

/**
 * Waiting events in this process's timers (no REDIS_URL). A restart within the wait loses them
 * (their ids are logged at shutdown): Blooio does not resend them, they were answered 204.
 */
export class MemoryWaitingEvents implements WaitingEvents {
  private readonly logger = new Logger('BlooioWebhooks');
  /** Deferred events by (tenant, event id): one wait per event however often it is delivered. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /**
   * Waiting events whose timer fired and whose re-check is running: they keep their place, so that
   * a new delivery cannot take it and their own next wait never meets a full queue.
   */
  private readonly rechecking = new Set<string>();
  private handler?: RecheckHandler;

  /** How many events wait in this process (their timers not fired yet). */
  get size(): number {
    return this.pending.size;
  }

  handle(handler: RecheckHandler): void {
    this.handler = handler;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- a promise, as Redis's is
  async wait(waiting: WaitingEvent, afterMs: number): Promise<void> {
    this.schedule(waiting, afterMs);
  }

  count(): Promise<number> {
    return Promise.resolve(this.pending.size);
  }

  close(): Promise<void> {
    if (this.pending.size > 0) {
      // Answered 204 already, so Blooio will not send them again: say so, with what identifies them.
      this.logger.warn(
        `${this.pending.size} Blooio event(s) still waiting for their message record were dropped at shutdown: ${[...this.pending.keys()].slice(0, 20).join(', ')}`,
      );
    }
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    return Promise.resolve();
  }

  private schedule(waiting: WaitingEvent, afterMs: number): void {
    const key = waitingKeyOf(waiting);
    if (this.pending.has(key)) return;
    const hasPlace = this.rechecking.has(key);
    if (!hasPlace && this.pending.size + this.rechecking.size >= MAX_PENDING_RECHECKS) {
      throw new WaitingEventsFullError();
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.rechecking.add(key);
      // The receiver sets the handler at construction; without one, nothing is re-checked.
      const handler = this.handler ?? (() => Promise.resolve({ again: false as const }));
      handler(waiting)
        .then((result) => {
          if (result.again) this.schedule(result.waiting, result.afterMs);
        })
        // Never an unhandled rejection from a timer: that would end the process.
        .catch((error: unknown) => {
          this.logger.error(
            `Blooio event ${waiting.eventId} of tenant ${waiting.tenantId} could not be re-checked: ${(error as Error).message}`,
          );
        })
        .finally(() => this.rechecking.delete(key));
    }, afterMs);
    // Waiting events must not keep a stopping process alive (shutdown logs what is dropped).
    timer.unref();
    this.pending.set(key, timer);
  }
}
