/**
 * The shared store (Redis) did not answer. The gateway fails closed: without its shared rate limits
 * and idempotency records it could send a message twice or let a tenant past its limit, so the
 * request is refused with 503 before anything reaches Blooio.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The shared store did not answer', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Runs one store operation, turning whatever the client throws into a StoreUnavailableError. */
export async function storeCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError(error);
  }
}
