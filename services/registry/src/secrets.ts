import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * Why a fast salted SHA-256 and not bcrypt/scrypt/argon2:
 * a slow KDF exists to make guessing *low-entropy* human passwords expensive. Device secrets are
 * 256 bits from the CSPRNG: even with the hashes stolen, guessing one is 2^255 hashes on average,
 * whatever the hash costs. Meanwhile the broker verifies a secret on every connect, and a fleet
 * reconnecting after an outage or a broker restart means thousands of verifications per second;
 * at ~50–100 ms of CPU per KDF call that storm would pin every core and take the broker down (a
 * self-inflicted DoS, and a cheap one for an attacker). SHA-256 costs about a microsecond.
 * The per-device salt keeps equal secrets (there are none, but still) from having equal hashes and
 * rules out precomputed tables. `secret_scheme` in the table leaves room to change this later.
 */

/** Bytes of randomness in a device secret (shown once, as base64url: 43 characters). */
export const SECRET_BYTES = 32;
/** Bytes of per-device salt. */
export const SALT_BYTES = 16;
/** Scheme id stored with each hash: 1 = SHA-256(salt || utf8(secret)). */
export const SECRET_SCHEME = 1;

/** What is stored for a device secret: never the secret itself. */
export interface StoredSecret {
  salt: Buffer;
  hash: Buffer;
}

/** A new random device secret, base64url (safe in MQTT passwords, URLs, env vars, JSON). */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Salts and hashes `secret` (a string is hashed as its UTF-8 bytes, so the string and its bytes verify alike). */
export function hashSecret(secret: string | Uint8Array, salt: Buffer = randomBytes(SALT_BYTES)): StoredSecret {
  return { salt, hash: createHash('sha256').update(salt).update(secret).digest() };
}

/** True when `secret` hashes to `hash` under `salt`; constant-time in the hash comparison. */
export function verifySecret(secret: string | Uint8Array, salt: Uint8Array, hash: Uint8Array): boolean {
  const actual = createHash('sha256').update(salt).update(secret).digest();
  // A corrupt stored hash of another length must not throw out of timingSafeEqual.
  return actual.length === hash.length && timingSafeEqual(actual, hash);
}

/**
 * A hash nobody knows the secret of. Checking a presented secret against it when the device does not
 * exist makes "unknown device" cost the same hash and compare as "wrong secret".
 */
export const DUMMY_SECRET: Readonly<StoredSecret> = hashSecret(randomBytes(SECRET_BYTES));
