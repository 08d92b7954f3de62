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

/** The most field errors one answer lists. */
export const MAX_FIELD_ERRORS = 20;
/** A field path longer than this (a key of thousands of characters) is cut in the answer. */
export const MAX_PATH_LENGTH = 200;

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

  /**
   * A validation failure: at most MAX_FIELD_ERRORS errors, each path at most MAX_PATH_LENGTH
   * characters, so that no body makes a large answer; `truncated: true` says some were left out.
   */
  static validation(errors: FieldError[]): ProblemException {
    const shown = errors
      .slice(0, MAX_FIELD_ERRORS)
      .map((error) =>
        error.path.length > MAX_PATH_LENGTH
          ? { ...error, path: `${error.path.slice(0, MAX_PATH_LENGTH)}…` }
          : error,
      );
    const more = errors.length - shown.length;
    return new ProblemException('validation_failed', {
      errors: shown,
      detail:
        shown.map((e) => `${e.path} ${e.message}`).join('; ') +
        (more > 0 ? `; and ${more} more` : ''),
      ...(more > 0 && { extensions: { truncated: true } }),
    });
  }
}
