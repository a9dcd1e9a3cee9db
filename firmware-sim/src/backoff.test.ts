import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, resolveBackoff } from './backoff.js';
import { createRandom } from './prng.js';

describe('backoff', () => {
  const options = resolveBackoff({ initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 });

  it('doubles the ceiling per attempt up to the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeiling(a, options));
    expect(ceilings).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoffCeiling(10_000, options)).toBe(5000);
  });

  it('keeps every jittered delay within [ceiling * (1 - jitter), ceiling]', () => {
    const rand = createRandom(7);
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = backoffCeiling(attempt, options);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt, options, rand);
        expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.5));
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads a fleet reconnecting at the same attempt', () => {
    const rand = createRandom('spread');
    const delays = Array.from({ length: 500 }, () => backoffDelay(3, options, rand));
    const distinct = new Set(delays).size;
    expect(distinct).toBeGreaterThan(200);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(560);
    expect(mean).toBeLessThan(640);
  });

  it('without jitter is the plain exponential schedule', () => {
    const exact = resolveBackoff({ initialMs: 50, maxMs: 1000, jitter: 0 });
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, exact, Math.random))).toEqual([50, 100, 200, 400, 800, 1000]);
  });

  it('rejects nonsensical options', () => {
    expect(() => resolveBackoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => resolveBackoff({ initialMs: 100, maxMs: 10 })).toThrow(RangeError);
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(RangeError);
  });
});
