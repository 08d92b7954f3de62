import { Injectable } from '@nestjs/common';

/** Whether this process is shutting down: readiness turns 503 the moment it does. */
@Injectable()
export class ShutdownState {
  private since?: number;
  private cut = false;

  get draining(): boolean {
    return this.since !== undefined;
  }

  /** The grace period ran out and requests were cut: nothing is worth waiting for any more. */
  get graceExpired(): boolean {
    return this.cut;
  }

  begin(): void {
    this.since ??= Date.now();
  }

  expireGrace(): void {
    this.cut = true;
  }
}
