import type { ThrottlerStorage } from '@nestjs/throttler';

/** What `increment` resolves to (the library does not export its name from its index). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** One window's hit: the arguments ThrottlerStorage.increment takes for it. */
export interface WindowHit {
  key: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  throttlerName: string;
}

/** The window that refused the hit: its position in the list given, and its record. */
export interface BlockedWindow {
  index: number;
  record: ThrottlerStorageRecord;
}

/**
 * A storage that counts one request in several windows in one call (one Redis round trip rather
 * than one per window).
 */
export interface ThrottlerWindowsStorage extends ThrottlerStorage {
  /**
   * Counts one hit in each window in order, exactly as `increment` would, and stops at the first
   * window that is blocked: the windows after it are not counted, as ThrottlerGuard throws there.
   * Resolves to that window, or to undefined when every window was counted and none is blocked.
   */
  incrementWindows(windows: readonly WindowHit[]): Promise<BlockedWindow | undefined>;
}

export function isThrottlerWindowsStorage(
  storage: ThrottlerStorage,
): storage is ThrottlerWindowsStorage {
  return typeof (storage as Partial<ThrottlerWindowsStorage>).incrementWindows === 'function';
}
