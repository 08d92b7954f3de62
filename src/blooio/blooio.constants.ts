/** Injection token: the Blooio base URL in use (the simulator's in sandbox mode). */
export const BLOOIO_BASE_URL = Symbol('BLOOIO_BASE_URL');

/**
 * Optional injection token: a base URL that replaces the configured one. The sandbox provides it
 * (its simulator's), so that blooio/ needs to know nothing of the sandbox.
 */
export const BLOOIO_BASE_URL_OVERRIDE = Symbol('BLOOIO_BASE_URL_OVERRIDE');
