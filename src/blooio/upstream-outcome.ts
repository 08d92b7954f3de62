import type { UpstreamOutcome } from '../metrics/metric-labels';
import {
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from './blooio.errors';

/** The outcome of a call that threw, as a metric label. */
export function outcomeOf(error: unknown): UpstreamOutcome {
  if (error instanceof BlooioTimeoutError) return 'timeout';
  if (error instanceof BlooioNetworkError) return 'network_error';
  if (error instanceof BlooioUnreadableResponseError) return 'unreadable';
  if (error instanceof BlooioHttpError) {
    if (error.status === 429) return 'rate_limited';
    if (error.status === 503) return 'unavailable';
    return error.status >= 500 ? 'server_error' : 'rejected';
  }
  // An abort by the deadline surfaces as whatever the transport threw.
  return 'timeout';
}
