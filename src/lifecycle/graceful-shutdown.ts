import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { ShutdownState } from './shutdown-state';

export interface ShutdownOptions {
  /** Keep serving this long with readiness 503, so that load balancers stop sending first. */
  delayMs: number;
  /** Then let in-flight requests finish for at most this long. */
  graceMs: number;
  logger: Logger;
}

/**
 * Stops the gateway without losing a request: readiness turns 503 at once; after `delayMs` the
 * listener closes (Fastify closes idle keep-alive connections); requests in flight finish and get
 * their answers; after `graceMs` whatever is still open is cut. Then Nest's shutdown hooks close
 * Redis and the sockets to Blooio. Resolves true when nothing had to be cut.
 */
export async function closeGracefully(
  app: INestApplication,
  options: ShutdownOptions,
): Promise<boolean> {
  const state = app.get(ShutdownState);
  state.begin();
  if (options.delayMs > 0) await sleep(options.delayMs);

  let clean = true;
  const server = app.getHttpServer() as Server;
  const cut = setTimeout(() => {
    clean = false;
    state.expireGrace();
    options.logger.warn(
      { graceMs: options.graceMs },
      'requests still running after the shutdown grace period; closing their connections',
    );
    server.closeAllConnections();
  }, options.graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
  return clean;
}
