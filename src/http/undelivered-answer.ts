import type { FastifyReply } from 'fastify';

/**
 * True in onSend when the caller hung up before its answer was written: a client timeout shorter
 * than the send, or a connection cut at the end of a shutdown's grace. Node then never emits
 * 'finish', so Fastify runs no onResponse hook and writes no request log; the message may still
 * have been sent. The request log and the metrics use this to record such an answer anyway.
 */
export function isUndeliverable(reply: FastifyReply): boolean {
  return reply.raw.destroyed && !reply.raw.writableFinished;
}
