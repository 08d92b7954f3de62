import type { FastifyReply } from 'fastify';
import type { StoredResponse } from './idempotency-store.interface';

/**
 * Answers a send's response as it is, bytes included (a replay must be exactly the first answer).
 * A recorded problem's code goes to the request's context, for the log line and the metrics.
 */
export async function sendStoredResponse(
  reply: FastifyReply,
  response: StoredResponse,
): Promise<void> {
  if (response.code) reply.request.problem = { code: response.code };
  await reply.status(response.status).headers(response.headers).send(response.body);
}
