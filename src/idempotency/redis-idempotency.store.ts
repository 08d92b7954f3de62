import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { storeCall, StoreUnavailableError } from '../redis/store-unavailable.error';
import type {
  BeginResult,
  IdempotencyLock,
  IdempotencyStore,
  StoredResponse,
} from './idempotency-store.interface';

/**
 * One hash per record: `fp` (fingerprint), `token` (the holder) and, once finished, `response`.
 * Each operation is one Lua script, so replicas racing for one key see one outcome: exactly one
 * begin gets `started`, and only the holder's token may finish or free the record.
 */
const BEGIN = `
local record = redis.call('HMGET', KEYS[1], 'fp', 'response')
if not record[1] then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'token', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'started'}
end
if record[1] ~= ARGV[1] then return {'mismatch'} end
if record[2] then return {'replay', record[2]} end
return {'in_flight'}`;

/** Also records when the lock already expired and nobody took the key since. */
const COMPLETE = `
local holder = redis.call('HGET', KEYS[1], 'token')
if holder and holder ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'token', ARGV[2], 'response', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Never a finished record: a release that arrives late (a slow Redis) must not undo complete. */
const RELEASE = `
local record = redis.call('HMGET', KEYS[1], 'token', 'response')
if record[1] == ARGV[1] and not record[2] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface IdempotencyCommands {
  bgwIdempotencyBegin(key: string, fp: string, token: string, ttlMs: number): Promise<string[]>;
  bgwIdempotencyComplete(
    key: string,
    fp: string,
    token: string,
    response: string,
    ttlMs: number,
  ): Promise<number>;
  bgwIdempotencyRelease(key: string, token: string): Promise<number>;
}

/**
 * Idempotency records shared by every replica. A lock carries the lock TTL, so the record of a
 * replica that died mid-request frees itself; finished records live for the idempotency TTL.
 * Keys are `<prefix>idem:<tenant>:<sha256 of the caller's key>`: no secret, bounded length.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly redis: Redis & IdempotencyCommands;

  constructor(redis: Redis) {
    redis.defineCommand('bgwIdempotencyBegin', { numberOfKeys: 1, lua: BEGIN });
    redis.defineCommand('bgwIdempotencyComplete', { numberOfKeys: 1, lua: COMPLETE });
    redis.defineCommand('bgwIdempotencyRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as Redis & IdempotencyCommands;
  }

  async begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult> {
    const token = randomUUID();
    const [kind, response] = await storeCall(() =>
      this.redis.bgwIdempotencyBegin(recordKey(key), fingerprint, token, lockTtlMs),
    ).catch((error: unknown) => {
      // A begin that timed out here may still run on Redis and take the key for this token. The
      // caller is told nothing was sent (503, retry in 1 s), so free it: queued behind the begin on
      // the same connection, the release runs after it. Best effort: Redis may really be gone.
      this.redis.bgwIdempotencyRelease(recordKey(key), token).catch(() => undefined);
      throw error;
    });
    switch (kind) {
      case 'started':
        return { kind, lock: { key, fingerprint, token } };
      case 'replay':
        return { kind, response: parseRecordedResponse(response) };
      case 'mismatch':
      case 'in_flight':
        return { kind };
      default:
        throw new Error(`unexpected answer from the idempotency script: ${kind}`);
    }
  }

  async complete(lock: IdempotencyLock, response: StoredResponse, ttlMs: number): Promise<boolean> {
    const recorded = await storeCall(() =>
      this.redis.bgwIdempotencyComplete(
        recordKey(lock.key),
        lock.fingerprint,
        lock.token,
        JSON.stringify(response),
        ttlMs,
      ),
    );
    return recorded === 1;
  }

  async release(lock: IdempotencyLock): Promise<void> {
    await storeCall(() => this.redis.bgwIdempotencyRelease(recordKey(lock.key), lock.token));
  }
}

const recordKey = (key: string) => `idem:${key}`;

/** An unreadable record (another version's format, a hand edit) is a store failure: 503. */
function parseRecordedResponse(json: string): StoredResponse {
  try {
    const response = JSON.parse(json) as Partial<StoredResponse> | null;
    if (
      typeof response?.status !== 'number' ||
      typeof response.body !== 'string' ||
      typeof response.headers !== 'object'
    ) {
      throw new TypeError('an idempotency record without status, headers and body');
    }
    return response as StoredResponse;
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}
