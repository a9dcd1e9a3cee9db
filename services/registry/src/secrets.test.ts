import { describe, expect, it } from 'vitest';
import { DUMMY_SECRET, SALT_BYTES, generateSecret, hashSecret, verifySecret } from './secrets';

describe('device secrets', () => {
  it('are 32 random bytes as 43 base64url characters', () => {
    const s = generateSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(s);
  });

  it('hash with a fresh salt each time, so equal secrets get different hashes', () => {
    const a = hashSecret('same');
    const b = hashSecret('same');
    expect(a.salt).toHaveLength(SALT_BYTES);
    expect(a.hash).toHaveLength(32);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.hash.equals(b.hash)).toBe(false);
  });

  it('verify the right secret only, as a string or its UTF-8 bytes', () => {
    const secret = generateSecret();
    const { salt, hash } = hashSecret(secret);
    expect(verifySecret(secret, salt, hash)).toBe(true);
    expect(verifySecret(Buffer.from(secret), new Uint8Array(salt), new Uint8Array(hash))).toBe(true);
    expect(verifySecret(secret + 'x', salt, hash)).toBe(false);
    expect(verifySecret('', salt, hash)).toBe(false);
    expect(verifySecret(secret, hashSecret(secret).salt, hash)).toBe(false);
  });

  it('treat a stored hash of the wrong length as a mismatch instead of throwing', () => {
    const { salt, hash } = hashSecret('x');
    expect(verifySecret('x', salt, hash.subarray(0, 16))).toBe(false);
  });

  it('have a dummy hash that no ordinary secret matches', () => {
    expect(verifySecret('', DUMMY_SECRET.salt, DUMMY_SECRET.hash)).toBe(false);
    expect(verifySecret(generateSecret(), DUMMY_SECRET.salt, DUMMY_SECRET.hash)).toBe(false);
  });
});
