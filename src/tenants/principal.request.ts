import type { Principal } from './tenant';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by ApiKeyGuard once the caller's key is known. */
    principal?: Principal;
  }
}

export {};
