import { inspect } from 'node:util';

const REDACTED = '[redacted]';
/** Runs of characters API keys are made of (RFC 6750 b64token, less the padding). */
const TOKEN_RUN = /[A-Za-z0-9\-._~+/]{8,}/g;
const PIECE_LENGTH = 8;

/**
 * Holds a credential so that it cannot leak by accident: JSON, string conversion and
 * `util.inspect` (which loggers use) all print `[redacted]`; only `reveal()` gives the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** Removes every occurrence of the secret from `text` (upstream messages may echo it). */
  scrub(text: string): string {
    return this.#value.length > 0 ? text.split(this.#value).join(REDACTED) : text;
  }

  /**
   * `scrub`, and pieces of the secret too: a run of token characters that shares 8 characters in a
   * row with the secret goes whole (an upstream that echoes a key truncated, masked in the middle or
   * followed by a full stop still gives most of it away). For credentials only: in a URL, the host
   * would be such a piece.
   */
  scrubEchoes(text: string): string {
    const value = this.#value;
    if (value.length === 0) return text;
    return this.scrub(text).replace(TOKEN_RUN, (run) => {
      for (let start = 0; start + PIECE_LENGTH <= run.length; start += 1) {
        if (value.includes(run.slice(start, start + PIECE_LENGTH))) return REDACTED;
      }
      return run;
    });
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
