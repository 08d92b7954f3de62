import { Secret } from '../common/secret';

/** A setting that cannot be used; the message names the variable or file path at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values from an environment, collecting every problem before failing so that a
 * bad deployment is told all that is wrong at once.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const raw = this.env[name];
    return raw === undefined || raw === '' ? fallback : raw;
  }

  optionalString(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  /** `true`/`false` (also 1/0, yes/no); unset gives `undefined`. */
  bool(name: string): boolean | undefined {
    const raw = this.env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return undefined;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${name}: must be true or false (got "${this.env[name]}")`);
    return undefined;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const raw = this.string(name, fallback);
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      if (parsed.username || parsed.password) {
        this.problems.push(`${name}: must not carry credentials in the URL`);
      }
    } catch {
      this.problems.push(`${name}: must be a ${protocols.join(' or ')} URL`);
    }
    return raw.replace(/\/+$/, '');
  }

  /**
   * A URL that may carry credentials (a Redis password): kept as a Secret, and never repeated in a
   * problem message.
   */
  optionalSecretUrl(name: string, protocols: readonly string[]): Secret | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    let protocol: string | undefined;
    try {
      protocol = new URL(raw).protocol;
    } catch {
      // reported below
    }
    if (!protocol || !protocols.includes(protocol)) {
      this.problems.push(`${name}: must be a ${protocols.join(' or ')} URL`);
    }
    return new Secret(raw);
  }

  /**
   * Like `matching`, for a secret (`pattern` a regular expression or a check): the problem names
   * the variable, never its value.
   */
  optionalSecretMatching(
    name: string,
    pattern: RegExp | ((raw: string) => boolean),
    described: string,
  ): string | undefined {
    const raw = this.optionalString(name);
    const fits = (value: string) =>
      typeof pattern === 'function' ? pattern(value) : pattern.test(value);
    if (raw === undefined || fits(raw)) return raw;
    this.problems.push(`${name}: must be ${described}`);
    return undefined;
  }

  matching(name: string, fallback: string, pattern: RegExp, described: string): string {
    const raw = this.string(name, fallback);
    if (!pattern.test(raw)) {
      this.problems.push(`${name}: must be ${described} (got "${raw}")`);
      return fallback;
    }
    return raw;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}: must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  /** A problem found by a check of the caller's own (a file that cannot be read…). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError listing every problem seen so far. */
  done<T>(value: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return value;
  }
}
