/** Injection token: the Blooio base URL in use (the simulator's in sandbox mode). */
export const BLOOIO_BASE_URL = Symbol('BLOOIO_BASE_URL');
