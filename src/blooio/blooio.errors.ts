import type { BlooioErrorBody } from './blooio.types';

/**
 * What can go wrong talking to Blooio. These carry facts only (never the URL or a key);
 * the problems mapper decides what the caller sees.
 */
export abstract class BlooioError extends Error {}

/** Blooio answered with a non-2xx status. */
export class BlooioHttpError extends BlooioError {
  constructor(
    readonly status: number,
    readonly body: Pick<BlooioErrorBody, 'code' | 'message'>,
    /** Blooio's Retry-After header when valid (delay-seconds or an HTTP-date), passed on. */
    readonly retryAfter?: string,
    /** Blooio sent a `code` (even one not passed on): a coded 429 is a quota, never retried. */
    readonly coded: boolean = body.code !== undefined,
  ) {
    super(`Blooio answered ${status}${body.code ? ` (${body.code})` : ''}`);
    this.name = 'BlooioHttpError';
  }
}

/** No complete answer before the deadline. */
export class BlooioTimeoutError extends BlooioError {
  constructor() {
    super('Blooio did not answer before the deadline');
    this.name = 'BlooioTimeoutError';
  }
}

/** The connection failed (refused, reset, DNS…). */
export class BlooioNetworkError extends BlooioError {
  constructor(readonly reason: string) {
    super(`Could not reach Blooio (${reason})`);
    this.name = 'BlooioNetworkError';
  }
}

/** A 2xx answer the gateway cannot read, or any answer larger than the gateway reads. */
export class BlooioUnreadableResponseError extends BlooioError {
  constructor(
    readonly status: number,
    reason = 'not a JSON object',
  ) {
    super(`Blooio answered ${status} with a body ${reason}`);
    this.name = 'BlooioUnreadableResponseError';
  }
}

/** The tenant's circuit is open: Blooio was not called. */
export class BlooioCircuitOpenError extends BlooioError {
  constructor(readonly retryInMs: number) {
    super('Blooio failed repeatedly for this tenant; calls are paused');
    this.name = 'BlooioCircuitOpenError';
  }
}
