'use strict';

const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { stopAll } = require('./processes');
const { deletePrefixedKeys } = require('./redis');
const { REDIS_URL, newRedisPrefix, startFake } = require('./stack');
const { writeTenantsFile } = require('./tenants');

/**
 * Measures builds round after round (A B A B...) beside one fake Blooio, so that a noisy machine
 * moves them alike: `measure(dir, stack, round)` runs one build once, `report(round, dir, result)`
 * prints it. Resolves with each build's results in order; everything started is stopped and the
 * Redis keys of the run (with `redis`) deleted, whatever happens.
 */
async function measureBuildsInRounds({ dirs, rounds, redis, tmpPrefix, measure, report }) {
  const tmpDir = mkdtempSync(path.join(tmpdir(), tmpPrefix));
  const tenant = writeTenantsFile(tmpDir);
  const stack = { tenant, tmpDir, redisPrefix: newRedisPrefix() };
  try {
    stack.fake = await startFake(tenant);
    const results = new Map(dirs.map((dir) => [dir, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const dir of dirs) {
        const result = await measure(dir, stack, round);
        results.get(dir).push(result);
        report(round, dir, result);
      }
    }
    return results;
  } finally {
    await stopAll();
    if (redis) await deletePrefixedKeys(REDIS_URL, stack.redisPrefix).catch(() => undefined);
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

module.exports = { measureBuildsInRounds };
