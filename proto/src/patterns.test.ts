import { describe, expect, it } from 'vitest';
import { isValidMetricName, MAX_METRIC_NAME_LENGTH, METRIC_NAME_PATTERN } from './index';

describe('isValidMetricName', () => {
  it.each(['temp_c', 'a', 'a1', 'a_', 'compressor.power_w', 'a.b.c', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(isValidMetricName(name)).toBe(true);
  });

  it.each(['', 'A', 'Temp', '1a', '_a', '.a', 'a.', 'a..b', 'a.1b', 'a._b', 'a-b', 'a b', 'ä', 'x'.repeat(65)])('rejects %j', (name) => {
    expect(isValidMetricName(name)).toBe(false);
  });

  it('agrees with METRIC_NAME_PATTERN plus the length limit on 20,000 random names', () => {
    const alphabet = 'abz09_.A-Z ä';
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let i = 0; i < 20_000; i++) {
      const name = Array.from({ length: rand(8) + (i % 100 === 0 ? 60 : 0) }, () => alphabet[rand(alphabet.length)]).join('');
      const expected = name.length <= MAX_METRIC_NAME_LENGTH && METRIC_NAME_PATTERN.test(name);
      expect(isValidMetricName(name), JSON.stringify(name)).toBe(expected);
    }
  });
});
