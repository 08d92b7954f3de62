import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a gateway's allocation pattern. They cannot go in NODE_OPTIONS, which refuses
 * them, so `main.ts` applies them through its first import (`apply-v8-tuning.ts`), before Nest or
 * any other module has allocated anything.
 *
 * `--no-allocation-site-pretenuring`: V8 allocates a literal's objects straight into the old
 * generation once 85% of them survive a young collection. A request's objects live about as long
 * as the interval between two young collections, so under load a site can cross that line by
 * chance; a full collection then runs every ~0.3 s and the process stays there (22-38 in 8 s
 * instead of 2, 20-25% fewer requests per second: bench/NOTES.md, "Bimodal throughput").
 *
 * `--no-concurrent-marking`: the old generation is marked in steps on the main thread instead of
 * on a helper thread. With one core (the pod's CPU limit) or two shared with other work, that
 * thread competes with the event loop: with 250 slow sends in flight, p99 was 3-9 ms lower
 * without it, for the same CPU per request (bench/NOTES.md, "Tried").
 */
export const V8_FLAGS: readonly string[] = [
  '--no-allocation-site-pretenuring',
  '--no-concurrent-marking',
];

export function applyV8Tuning(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
