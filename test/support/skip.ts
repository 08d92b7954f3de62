/**
 * A suite that cannot run on this machine: skipped, with its reason written to stderr while the
 * file is being defined. Jest's reporter drops the console output of a file whose tests were all
 * skipped, so a console.warn would never reach a full `npm test` run; stderr always does.
 */
export function describeSkipped(name: string, reason: string, suite: () => void): void {
  process.stderr.write(`\nSKIPPED "${name}": ${reason}\n`);
  describe.skip(name, suite);
}
