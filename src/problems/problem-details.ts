import type { ProblemCode } from './problem-catalogue';

/** One invalid field of a request: `path` uses dots and array indices (`recipients.1`). */
export interface FieldError {
  path: string;
  message: string;
}

/** What Blooio said, when it answered. */
export interface UpstreamSummary {
  status: number;
  code?: string;
  message?: string;
}

/** The RFC 9457 body every error answer carries. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  requestId: string;
  errors?: FieldError[];
  upstream?: UpstreamSummary;
  [extension: string]: unknown;
}
