import { createHash } from 'node:crypto';
import { blooioKeyIdOf } from './blooio-key-id';
import { Secret } from './secret';

describe('blooioKeyIdOf', () => {
  it('is the domain-separated SHA-256 of the key, first 32 hex characters', () => {
    const expected = createHash('sha256')
      .update('bgw:blooio-key-id\u0000bl_key_1')
      .digest('hex')
      .slice(0, 32);
    expect(blooioKeyIdOf(new Secret('bl_key_1'))).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is the same for one key and differs between keys, never containing the key', () => {
    const id = blooioKeyIdOf(new Secret('bl_key_1'));
    expect(blooioKeyIdOf(new Secret('bl_key_1'))).toBe(id);
    expect(blooioKeyIdOf(new Secret('bl_key_2'))).not.toBe(id);
    // Not the plain digest either: the identity cannot be matched against other key hashes.
    expect(createHash('sha256').update('bl_key_1').digest('hex')).not.toContain(id);
    expect(id).not.toContain('bl_key_1');
  });
});
