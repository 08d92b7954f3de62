import type { CircuitState } from '../metrics/metric-labels';

export type { CircuitState };

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before letting one trial call through. */
  cooldownMs: number;
  now?: () => number;
}

/** Proof of a granted call, handed back with its result. */
export type CircuitTicket = number;

/**
 * A consecutive-failure circuit breaker. Closed: calls pass, `failureThreshold` failures in a row
 * open it. Open: calls are refused until `cooldownMs` has passed. Half-open: exactly one trial call
 * passes; its success closes the circuit, its failure opens it again.
 *
 * Every change of state starts a new generation, and a result only counts for the generation its
 * call was granted in: a slow call that started before the circuit opened cannot close it early,
 * nor can a late failure extend an open period or end a trial that is still running.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private generation = 0;
  private trialGranted = false;
  private current: CircuitState = 'closed';
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) {
      this.moveTo('half-open');
    }
    return this.current;
  }

  /** Milliseconds until a trial call will be allowed (0 unless open). */
  get retryInMs(): number {
    return this.state === 'open' ? this.options.cooldownMs - (this.now() - this.openedAt) : 0;
  }

  /** Asks to make a call: a ticket to report its result with, or undefined to refuse it now. */
  tryAcquire(): CircuitTicket | undefined {
    const state = this.state;
    if (state === 'open') return undefined;
    if (state === 'half-open') {
      if (this.trialGranted) return undefined;
      this.trialGranted = true;
    }
    return this.generation;
  }

  recordSuccess(ticket: CircuitTicket): void {
    if (ticket !== this.generation) return;
    this.failures = 0;
    if (this.current !== 'closed') this.moveTo('closed');
  }

  recordFailure(ticket: CircuitTicket): void {
    if (ticket !== this.generation) return;
    this.failures += 1;
    if (this.current === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      this.moveTo('open');
    }
  }

  private moveTo(state: CircuitState): void {
    this.current = state;
    this.generation += 1;
    this.trialGranted = false;
    if (state === 'closed') this.failures = 0;
  }
}
