import type Redis from 'ioredis';
import { storeCall, StoreUnavailableError } from '../redis/store-unavailable.error';
import type { MessageRecord, MessageStatusUpdate } from './message-record';
import type { MessageRecordStore } from './message-record-store.interface';
import { mergeRecord, mergeStatus } from './message-status.merge';

/**
 * Writes a record unless its tenant holds one already (then answers it, for the caller to merge),
 * and adds the tenant to the holders of the Blooio id under its key identity.
 */
const SAVE_NEW = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return false`;

/**
 * Compare-and-set, keeping the record's expiry: the merge itself stays in TypeScript (one
 * implementation for both stores), and a writer that lost a race merges again onto the winner's.
 */
const REPLACE_IF = `
local current = redis.call('GET', KEYS[1])
if not current then return {'missing'} end
if current ~= ARGV[1] then return {'conflict', current} end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return {'replaced'}`;

/**
 * The tenants holding a record of a Blooio id under one key identity, each checked to still have
 * its record (a member outlives its record only if the record was removed by hand): one round
 * trip. KEYS: the holders set; ARGV: the record keys' start with the client's prefix, `:<message id>`.
 */
const HOLDERS = `
local found = {}
for _, tenant in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. tenant .. ARGV[2]) == 1 then found[#found + 1] = tenant end
end
return found`;

interface RecordCommands {
  bgwRecordSaveNew(
    record: string,
    holders: string,
    json: string,
    ttlMs: number,
    tenantId: string,
  ): Promise<string | null>;
  bgwRecordReplaceIf(record: string, expected: string, next: string): Promise<string[]>;
  bgwRecordHolders(
    holders: string,
    recordKeyStart: string,
    recordKeyEnd: string,
  ): Promise<string[]>;
}

/** Enough for any real contention on one message (a handful of events and polls at once). */
const MAX_MERGE_ROUNDS = 32;
/** Key parts: tenant ids and message ids cannot hold ':' (their patterns), nor may a key identity. */
const KEY_PART = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Message records shared by every replica. `msg:<tenant>:<message id>` holds one record as JSON,
 * expiring `ttlMs` after its first write; `msgby:<key identity>:<message id>` is the set of tenants
 * holding a record of that Blooio id, for routing. Updates are compare-and-set rounds, so two
 * replicas applying two events at once both count and the status never moves back.
 */
export class RedisMessageRecordStore implements MessageRecordStore {
  private readonly redis: Redis & RecordCommands;

  constructor(
    redis: Redis,
    private readonly ttlMs: number,
  ) {
    redis.defineCommand('bgwRecordSaveNew', { numberOfKeys: 2, lua: SAVE_NEW });
    redis.defineCommand('bgwRecordReplaceIf', { numberOfKeys: 1, lua: REPLACE_IF });
    redis.defineCommand('bgwRecordHolders', { numberOfKeys: 1, lua: HOLDERS });
    this.redis = redis as Redis & RecordCommands;
  }

  async save(record: MessageRecord): Promise<MessageRecord> {
    const key = recordKey(record.tenantId, record.messageId);
    const holders = holdersKey(record.blooioKeyId, record.messageId);
    const json = JSON.stringify(record);
    const existing = await storeCall(() =>
      this.redis.bgwRecordSaveNew(key, holders, json, this.ttlMs, record.tenantId),
    );
    if (existing === null) return parseRecord(json);
    const merged = await this.mergeRounds(key, existing, (current) => mergeRecord(current, record));
    return merged ?? this.save(record); // expired between the two calls: write it as new
  }

  async find(tenantId: string, messageId: string): Promise<MessageRecord | undefined> {
    const key = recordKey(tenantId, messageId);
    const json = await storeCall(() => this.redis.get(key));
    return json === null ? undefined : parseRecord(json);
  }

  async update(
    tenantId: string,
    messageId: string,
    update: MessageStatusUpdate,
  ): Promise<MessageRecord | undefined> {
    const key = recordKey(tenantId, messageId);
    const json = await storeCall(() => this.redis.get(key));
    if (json === null) return undefined;
    return this.mergeRounds(key, json, (current) => mergeStatus(current, update));
  }

  async holders(blooioKeyId: string, messageId: string): Promise<string[]> {
    const key = holdersKey(blooioKeyId, messageId);
    // The script builds each record key itself, so it needs the prefix the client adds to KEYS.
    const start = `${this.redis.options.keyPrefix ?? ''}msg:`;
    const tenants = await storeCall(() =>
      this.redis.bgwRecordHolders(key, start, `:${part(messageId)}`),
    );
    return [...tenants].sort();
  }

  /** Merges onto the stored record until a compare-and-set wins; undefined if it expired. */
  private async mergeRounds(
    key: string,
    stored: string,
    merge: (current: MessageRecord) => MessageRecord,
  ): Promise<MessageRecord | undefined> {
    let json = stored;
    for (let round = 0; round < MAX_MERGE_ROUNDS; round += 1) {
      const current = parseRecord(json);
      const next = merge(current);
      if (next === current) return current;
      const nextJson = JSON.stringify(next);
      const [outcome, winner] = await storeCall(() =>
        this.redis.bgwRecordReplaceIf(key, json, nextJson),
      );
      if (outcome === 'replaced') return next;
      if (outcome === 'missing') return undefined;
      json = winner;
    }
    throw new StoreUnavailableError(
      new Error(`no update of ${key} won in ${MAX_MERGE_ROUNDS} rounds`),
    );
  }
}

const part = (value: string): string => {
  if (!KEY_PART.test(value)) throw new TypeError('a message record key part outside [A-Za-z0-9_-]');
  return value;
};
const recordKey = (tenantId: string, messageId: string) =>
  `msg:${part(tenantId)}:${part(messageId)}`;
const holdersKey = (keyId: string, messageId: string) => `msgby:${part(keyId)}:${part(messageId)}`;

/** An unreadable record (another version's format, a hand edit) is a store failure: 503. */
function parseRecord(json: string): MessageRecord {
  try {
    const record = JSON.parse(json) as Partial<MessageRecord> | null;
    if (
      typeof record?.tenantId !== 'string' ||
      typeof record.messageId !== 'string' ||
      typeof record.status !== 'string'
    ) {
      throw new TypeError('a message record without tenant, id and status');
    }
    return record as MessageRecord;
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}
