/**
 * Seeded pseudo-random numbers. Simulated metrics must be reproducible from a seed (so a failing
 * analytics test can be replayed), which `Math.random` cannot give.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Hashes a string to a 32-bit seed (cyrb53, truncated). Devices derive their seed from
 * `fleetSeed + deviceId`, so a device's data does not depend on where it sits in the fleet list.
 */
export function hashSeed(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

/**
 * Creates a sfc32 generator: small state, fast, and good enough statistically for simulation
 * (it passes PractRand to large sizes), unlike a plain LCG whose low bits cycle visibly.
 */
export function createRandom(seed: number | string): Random {
  let a = typeof seed === 'string' ? hashSeed(seed) : seed >>> 0;
  let b = hashSeed(`${a}:b`);
  let c = hashSeed(`${a}:c`);
  let d = 1;
  const next: Random = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 are correlated with the seed; discard them.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Standard normal variate (Box–Muller; the second value is dropped to keep the generator stateless). */
export function gaussian(rand: Random): number {
  let u = rand();
  while (u <= Number.EPSILON) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Uniform number in [min, max). */
export function uniform(rand: Random, min: number, max: number): number {
  return min + (max - min) * rand();
}

/** One element of a non-empty list. */
export function pick<T>(rand: Random, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick() needs a non-empty list');
  return item;
}
