import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a gateway's allocation pattern, set by main.ts before the app is built. They
 * cannot go in NODE_OPTIONS, which refuses these V8 flags.
 *
 * `--no-allocation-site-pretenuring`: V8 allocates objects straight into the old generation when
 * most objects from one literal survive their first young collection (85% or more). Under load
 * a request's objects live about as long as the interval between young collections, so a site
 * created at the start of a request can cross that line by chance. Its objects then fill the old
 * generation, a full collection runs every ~0.3 s instead of every few seconds, the slower
 * requests keep the ratio high, and the process stays there: measured at saturation, 22-33 full
 * collections in 8 s instead of 2, 20-25% fewer requests per second, in about one run in three
 * (every run with Redis). Nothing a gateway allocates per request is meant to outlive it.
 */
export const V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

export function applyV8Tuning(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
