import { Injectable } from '@nestjs/common';

/**
 * Work that must finish before shared resources close: an idempotency record being completed or
 * released. Redis waits for it at shutdown, so that a request cut by the grace period still frees
 * its key instead of leaving it locked until the lock's TTL.
 */
@Injectable()
export class InFlightWork {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return work;
  }

  /** Resolves when everything tracked so far has settled, or after `timeoutMs`, whichever is first. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(this.running), timeout]);
    clearTimeout(timer);
  }
}
