import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** After an answer that closes the connection, at most this much of the rest is read and dropped… */
export const LINGER_BYTES = 1_048_576;
/** …for at most this long. */
export const LINGER_MS = 5_000;

const lingering = new WeakSet<Socket>();
export const isLingering = (socket: Socket): boolean => lingering.has(socket);
/** Connections whose current request was answered before its body had arrived. */
const answeredEarly = new WeakSet<Socket>();

/** True when the connection's current request has had its answer (or the socket is closing). */
export function isAnswered(socket: Socket): boolean {
  return lingering.has(socket) || answeredEarly.has(socket);
}

/**
 * Closes a connection whose client may still be sending (a body over the limit, a request that
 * timed out): the answer is flushed and the sending side ended, then what still arrives is read
 * and dropped (bounded by LINGER_BYTES and LINGER_MS) until the client ends its side. Destroying
 * the socket at once would make the kernel answer the unread bytes with a reset, and a client that
 * was still writing would lose the answer before reading it.
 */
export function closeLingering(socket: Socket): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  let drained = 0;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) close();
  });
  socket.once('end', close);
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
  socket.end();
}

/**
 * An answer given before its request's body was read (413, 415, a refused key…) closes the
 * connection (Fastify says `Connection: close`); Node then destroys the socket once the answer is
 * written. Here it closes lingering instead, so that the client reads its answer.
 */
export function registerLingeringClose(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    const socket = request.raw.socket as (Socket & { destroySoon?: () => void }) | null;
    if (socket && !request.raw.complete) {
      // Node reads (and drops) the rest of the body; a timeout meanwhile needs no second answer.
      answeredEarly.add(socket);
      request.raw.once('end', () => answeredEarly.delete(socket));
      // Node calls socket.destroySoon() after the last answer of a connection (_http_server.js).
      socket.destroySoon = () => closeLingering(socket);
    }
    done(null, payload);
  });
}
