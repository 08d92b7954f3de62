import { EventEmitter } from 'node:events';

/**
 * The end of one attempt: a timer that, when it fires, aborts the call. The signal is an
 * EventEmitter with `aborted`, which undici (`signal: AbortSignal | EventEmitter`) and axios
 * (`GenericAbortSignal`) both take in place of an AbortSignal.
 *
 * Why not AbortController: Node's EventTarget makes a controller plus undici's abort listener cost
 * about 16 µs per call (measured: -15% throughput for a minimal Nest proxy); an EventEmitter with
 * one `once` listener costs a fraction of that.
 */
export class AttemptDeadline extends EventEmitter {
  private isAborted = false;
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    super();
    this.timer = setTimeout(() => this.abort(), timeoutMs);
  }

  get aborted(): boolean {
    return this.isAborted;
  }

  /** Aborts the call now (the timer calls this at the deadline). */
  abort(): void {
    if (this.isAborted) return;
    this.isAborted = true;
    clearTimeout(this.timer);
    this.emit('abort');
  }

  /** The attempt ended: its timer must not keep running (thousands a second would pile up). */
  clear(): void {
    clearTimeout(this.timer);
  }
}
