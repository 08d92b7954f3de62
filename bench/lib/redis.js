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

module.exports = { redisAnswers, deletePrefixedKeys };
