import { randomBytes } from 'node:crypto';

/**
 * A device id: usable as one MQTT topic level as is (`devices/{id}/up`) — no `/`, `+`, `#`, no
 * leading `$` (reserved for broker topics), no spaces or control characters — and as a URL path
 * segment without escaping.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Characters of the random part: Crockford's base32, lower case (no i, l, o, u to misread on a label). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 12 × 5 = 60 random bits: a collision among a million ids of one prefix is about 4 in 10^7 (and retried). */
export const DEVICE_ID_RANDOM_CHARS = 12;

/** True when `id` is a well-formed device id (says nothing about whether it exists). */
export function isDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID_PATTERN.test(id);
}

/**
 * `${prefix}-${12 random base32 characters}`, e.g. `fridge-x1-7k2m9q4tz0bd`. `random` (12 bytes from
 * the CSPRNG) lets bulk callers draw randomness once per batch.
 */
export function newDeviceId(prefix: string, random: Uint8Array = randomBytes(DEVICE_ID_RANDOM_CHARS)): string {
  const bytes = random.subarray(0, DEVICE_ID_RANDOM_CHARS);
  let suffix = '';
  // 256 is a multiple of 32, so `byte & 31` is unbiased.
  for (const b of bytes) suffix += ALPHABET[b & 31];
  return `${prefix}-${suffix}`;
}
