'use strict';

/** The shared Redis: checked before use, and only this run's own prefixed keys are deleted. */
const Redis = require('ioredis');

function connect(url) {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
}

/** True when Redis answers a PING within a second. */
async function redisAnswers(url) {
  const redis = connect(url);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000)),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** SCAN + UNLINK every key under `prefix` (a random per-run prefix); returns how many. */
async function deletePrefixedKeys(url, prefix) {
  if (!/^bgw-bench-[0-9a-f]+:$/.test(prefix)) throw new Error(`refusing to delete ${prefix}*`);
  const redis = connect(url);
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * Times a PING to Redis every `everyMs` from the runner until `stop()`, which answers the round
 * trips' percentiles (ms): how slow the shared Redis itself was while a run used it.
 */
function probeRedis(url, everyMs = 20) {
  const { Samples } = require('./stats');
  const redis = connect(url);
  redis.on('error', () => undefined);
  const samples = new Samples();
  let failures = 0;
  let busy = false;
  const connected = redis.connect().catch(() => undefined);
  const timer = setInterval(() => {
    if (busy || redis.status !== 'ready') return;
    busy = true;
    const start = performance.now();
    redis
      .ping()
      .then(() => samples.push(performance.now() - start))
      .catch(() => (failures += 1))
      .finally(() => (busy = false));
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await connected;
      redis.disconnect();
      const [p50, p99, max] = samples.percentiles([50, 99, 100]);
      return { pings: samples.length, failures, p50, p99, max };
    },
  };
}

module.exports = { redisAnswers, deletePrefixedKeys, probeRedis };
