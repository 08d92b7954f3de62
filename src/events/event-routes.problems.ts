import type { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { ProblemException } from '../problems/problem.exception';

type ProblemsByStatus = Parameters<typeof ApiProblemResponses>[0];

/** What every event and endpoint route may answer, beside its 404 (401 comes with @Authenticated). */
export const EVENT_ROUTE_PROBLEMS: ProblemsByStatus = {
  400: ['validation_failed'],
  403: ['forbidden'],
  429: ['rate_limited'],
  503: ['store_unavailable'],
  500: ['internal_error'],
};

/** And those of the POST routes, which read a body (optional, JSON). */
export const EVENT_ROUTE_BODY_PROBLEMS: ProblemsByStatus = {
  ...EVENT_ROUTE_PROBLEMS,
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
};

/** Unknown, expired, or another tenant's event: one answer. */
export const eventNotFound = () =>
  new ProblemException('event_not_found', { detail: 'No event with this id for this tenant' });

/**
 * An id that is not one of the tenant's endpoints (unknown, or another tenant's: the same answer).
 * The id named is the caller's own, already checked against ENDPOINT_ID_PATTERN.
 */
export const endpointNotFound = (endpointId: string) =>
  new ProblemException('endpoint_not_found', {
    detail: `No webhook endpoint ${endpointId} for this tenant`,
  });
