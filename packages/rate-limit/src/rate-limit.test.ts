import { describe, expect, it } from 'vitest';
import { RateLimiter } from './index';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the configured rate per key', () => {
    let now = 0;
    const rl = new RateLimiter(60, 3, () => now); // one per second, burst 3
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, true, false]);
    expect(rl.take('b')).toBe(true); // other keys are independent
    now += 999;
    expect(rl.take('a')).toBe(false);
    now += 1;
    expect(rl.take('a')).toBe(true);
    expect(rl.take('a')).toBe(false);
  });
});
