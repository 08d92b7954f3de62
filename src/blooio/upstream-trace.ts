/** What the calls to Blooio for one request came to, filled in by the sender as it goes. */
export interface UpstreamTrace {
  /** HTTP calls made to Blooio (0 for a replay or a refusal before sending). */
  attempts: number;
  /** Blooio's last HTTP status, when it answered. */
  status?: number;
}
