import { HttpException } from '@nestjs/common';
import { PROBLEM_CATALOGUE, type ProblemCode } from './problem-catalogue';
import type { FieldError, UpstreamSummary } from './problem-details';

export interface ProblemOptions {
  detail?: string;
  /** Overrides the catalogue status (upstream_rejected mirrors some Blooio statuses). */
  status?: number;
  errors?: FieldError[];
  upstream?: UpstreamSummary;
  headers?: Record<string, string>;
  /** Extra members of the problem body, e.g. `messageId`. */
  extensions?: Record<string, unknown>;
}

/** An error the gateway means to answer with: a catalogue code plus what the caller needs. */
export class ProblemException extends HttpException {
  readonly code: ProblemCode;
  readonly problem: ProblemOptions;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const status = options.status ?? PROBLEM_CATALOGUE[code].status;
    super(options.detail ?? PROBLEM_CATALOGUE[code].title, status);
    this.code = code;
    this.problem = options;
  }

  static validation(errors: FieldError[]): ProblemException {
    return new ProblemException('validation_failed', {
      errors,
      detail: errors.map((e) => `${e.path} ${e.message}`).join('; '),
    });
  }
}
