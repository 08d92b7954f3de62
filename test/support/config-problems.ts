import { ConfigError } from '../../src/config/env';

/** The problems a config loader reports (none when it loads). */
export function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
