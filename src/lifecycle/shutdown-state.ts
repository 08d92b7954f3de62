import { Injectable } from '@nestjs/common';

/** Whether this process is shutting down: readiness turns 503 the moment it does. */
@Injectable()
export class ShutdownState {
  private since?: number;

  get draining(): boolean {
    return this.since !== undefined;
  }

  begin(): void {
    this.since ??= Date.now();
  }
}
