/**
 * Label values of the gateway's metrics that other modules report: declared here, where they
 * become series, so that metrics/ depends on nothing it measures.
 */

/** How one HTTP call to Blooio ended (a small, fixed set). */
export type UpstreamOutcome =
  | 'accepted'
  | 'rejected'
  | 'rate_limited'
  | 'server_error'
  | 'unavailable'
  | 'timeout'
  | 'network_error'
  | 'unreadable';

/** A tenant's circuit to Blooio, as bgw_upstream_circuit_state reports it. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * How a Blooio webhook delivery ended, as bgw_webhooks_received_total counts it: recorded, already
 * recorded, not the path tenant's to have (answered 204, never relayed), or refused (401, 400).
 */
/** `not_pushed`: a re-checked event recorded, but its delivery queue never took it (logged). */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'unroutable' | 'rejected' | 'not_pushed';
