import {
  createParamDecorator,
  Injectable,
  type ExecutionContext,
  type PipeTransform,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** 1 to 255 printable ASCII characters (DESIGN.md §2). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** Validates the optional Idempotency-Key header; absent stays undefined. */
@Injectable()
export class IdempotencyKeyPipe implements PipeTransform<unknown, string | undefined> {
  transform(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value)) return value;
    throw ProblemException.validation([
      { path: IDEMPOTENCY_KEY_HEADER, message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
}

/** How many Idempotency-Key headers the request carried: Node joins repeats into one value. */
export function idempotencyKeyHeaderCount(request: FastifyRequest): number {
  const { rawHeaders } = request.raw;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // The length first: most headers are told apart without a lower-cased copy.
    if (name.length === 15 && name.toLowerCase() === 'idempotency-key') count += 1;
  }
  return count;
}

/** The caller's key when it was sent once and well-formed (what the answer repeats), else undefined. */
export function wellFormedIdempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(value)) return undefined;
  return idempotencyKeyHeaderCount(request) === 1 ? value : undefined;
}

/**
 * The raw Idempotency-Key header. Sent twice, Node would join the values with ", " into one key
 * nobody chose: that is refused here.
 */
export const IdempotencyKeyHeader = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (idempotencyKeyHeaderCount(request) > 1) {
      throw ProblemException.validation([
        { path: IDEMPOTENCY_KEY_HEADER, message: 'must be sent once' },
      ]);
    }
    return request.headers['idempotency-key'];
  },
);
