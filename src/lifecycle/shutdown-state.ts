import { Injectable } from '@nestjs/common';

/** Whether this process is shutting down: readiness turns 503 the moment it does. */
@Injectable()
export class ShutdownState {
  private since?: number;
  private expired = false;
  private readonly onExpiry: (() => void)[] = [];

  get draining(): boolean {
    return this.since !== undefined;
  }

  /** The grace period ran out and requests were cut: nothing is worth waiting for any more. */
  get graceExpired(): boolean {
    return this.expired;
  }

  begin(): void {
    this.since ??= Date.now();
  }

  /** Runs `listener` the moment the grace period runs out (to abort work nobody waits for). */
  onGraceExpired(listener: () => void): void {
    this.onExpiry.push(listener);
  }

  expireGrace(): void {
    if (this.expired) return;
    this.expired = true;
    for (const listener of this.onExpiry) listener();
  }
}
