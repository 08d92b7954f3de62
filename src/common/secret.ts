import { inspect } from 'node:util';

const REDACTED = '[redacted]';
const PIECE_LENGTH = 8;

/** The characters API keys are made of (RFC 6750 b64token, less the padding), by char code. */
const TOKEN_CHAR = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/') {
  TOKEN_CHAR[char.charCodeAt(0)] = 1;
}
const isTokenChar = (code: number) => code < 128 && TOKEN_CHAR[code] === 1;

/** Polynomial hash of PIECE_LENGTH characters, mod 2^32, rolled one character at a time. */
const BASE = 0x01000193;
let BASE_TO_PIECE = 1; // BASE^(PIECE_LENGTH - 1): the weight of the character leaving the window
for (let i = 1; i < PIECE_LENGTH; i += 1) BASE_TO_PIECE = Math.imul(BASE_TO_PIECE, BASE);

/**
 * Holds a credential so that it cannot leak by accident: JSON, string conversion and
 * `util.inspect` (which loggers use) all print `[redacted]`; only `reveal()` gives the value.
 */
export class Secret {
  readonly #value: string;
  /** The secret's PIECE_LENGTH-character pieces of token characters, by hash (built on first use). */
  #pieces?: PieceIndex;

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
    if (this.#value.length === 0) return text;
    const scrubbed = this.scrub(text);
    const pieces = this.#piecesByHash();
    if (pieces.size === 0) return scrubbed;
    // One pass, no regular expression and no recursion: linear in the text whatever its size (a
    // multi-megabyte run of token characters once overflowed the stack and cost hundreds of ms).
    const parts: string[] = [];
    let kept = 0;
    let i = 0;
    while (i < scrubbed.length) {
      if (!isTokenChar(scrubbed.charCodeAt(i))) {
        i += 1;
        continue;
      }
      const start = i;
      while (i < scrubbed.length && isTokenChar(scrubbed.charCodeAt(i))) i += 1;
      if (i - start >= PIECE_LENGTH && sharesPiece(scrubbed, start, i, pieces)) {
        parts.push(scrubbed.slice(kept, start), REDACTED);
        kept = i;
      }
    }
    if (kept === 0) return scrubbed;
    parts.push(scrubbed.slice(kept));
    return parts.join('');
  }

  #piecesByHash(): PieceIndex {
    if (this.#pieces) return this.#pieces;
    const pieces: PieceIndex = Object.assign(new Map<number, string[]>(), {
      filter: new Uint8Array(0x10000),
    });
    const value = this.#value;
    for (let start = 0; start + PIECE_LENGTH <= value.length; start += 1) {
      let tokenOnly = true;
      for (let j = start; j < start + PIECE_LENGTH; j += 1) {
        tokenOnly &&= isTokenChar(value.charCodeAt(j));
      }
      if (!tokenOnly) continue; // a run of token characters can never hold this piece
      const hash = hashAt(value, start);
      const piece = value.slice(start, start + PIECE_LENGTH);
      pieces.filter[hash & 0xffff] = 1;
      const same = pieces.get(hash);
      if (!same) pieces.set(hash, [piece]);
      else if (!same.includes(piece)) same.push(piece);
    }
    this.#pieces = pieces;
    return pieces;
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

/** Pieces by hash, and a one-byte-per-slot filter of their low 16 bits (a Map lookup is slower). */
type PieceIndex = Map<number, string[]> & { filter: Uint8Array };

function hashAt(text: string, start: number): number {
  let hash = 0;
  for (let j = start; j < start + PIECE_LENGTH; j += 1) {
    hash = (Math.imul(hash, BASE) + text.charCodeAt(j)) >>> 0;
  }
  return hash;
}

/** Whether text[start, end) contains one of the pieces: a rolling hash, checked on a hit. */
function sharesPiece(text: string, start: number, end: number, pieces: PieceIndex): boolean {
  let hash = hashAt(text, start);
  for (let at = start; ; at += 1) {
    if (pieces.filter[hash & 0xffff] === 1) {
      const candidates = pieces.get(hash);
      if (candidates?.some((piece) => text.startsWith(piece, at))) return true;
    }
    if (at + PIECE_LENGTH >= end) return false;
    const leaving = Math.imul(text.charCodeAt(at), BASE_TO_PIECE);
    hash = (Math.imul((hash - leaving) >>> 0, BASE) + text.charCodeAt(at + PIECE_LENGTH)) >>> 0;
  }
}
