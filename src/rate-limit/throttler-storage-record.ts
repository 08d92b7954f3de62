import type { ThrottlerStorage } from '@nestjs/throttler';

/** What `increment` resolves to (the library does not export its name from its index). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
