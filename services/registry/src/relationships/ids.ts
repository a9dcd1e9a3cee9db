import { randomBytes } from 'node:crypto';

/** Crockford's base32: no I, L, O, U to misread on a label or over the phone. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array): string {
  let s = '';
  // 256 is a multiple of 32, so `byte & 31` is unbiased.
  for (const b of bytes) s += ALPHABET[b & 31];
  return s;
}

/** A new opaque id such as `own_8K2M9Q4TZ0BDXW3F` (16 × 5 = 80 random bits). */
export function newId(prefix: string): string {
  return `${prefix}_${base32(randomBytes(16)).toLowerCase()}`;
}

/** Opaque ids this registry issues: a short prefix, `_`, 16 base32 characters. */
export const ID_PATTERN = /^[a-z]{2,5}_[0-9a-z]{16}$/;

/**
 * A human-typable one-time code: 12 base32 characters (60 bits) in groups of four,
 * e.g. `7K2M-9Q4T-Z0BD`. Guessing is further bounded by the per-device attempt limit.
 */
export function newCode(): string {
  const s = base32(randomBytes(12));
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** A code as typed by a person, normalised: case, spaces and dashes ignored, O→0 and I/L→1. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
