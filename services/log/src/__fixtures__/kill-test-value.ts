import { createHash } from 'node:crypto';

/** Deterministic, index-specific bytes of varying length, so a mixed-up or torn record shows. */
export function killTestValue(i: number): Buffer {
  const digest = createHash('sha256').update(String(i)).digest();
  return Buffer.concat([digest, Buffer.alloc(i % 300, i % 251)]);
}
