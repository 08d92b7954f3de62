import { Injectable } from '@nestjs/common';

/** Whether this process is shutting down: readiness turns 503 the moment it does. */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;
  private graceOver = false;
  private readonly onExpiry: (() => void)[] = [];

  get draining(): boolean {
    return this.shuttingDown;
  }

  begin(): void {
    this.shuttingDown = true;
  }

  /** Runs `listener` the moment the grace period runs out (to abort work nobody waits for). */
  onGraceExpired(listener: () => void): void {
    this.onExpiry.push(listener);
  }

  expireGrace(): void {
    if (this.graceOver) return;
    this.graceOver = true;
    for (const listener of this.onExpiry) listener();
  }
}
