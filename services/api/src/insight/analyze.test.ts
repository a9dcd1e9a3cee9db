import { describe, expect, it } from 'vitest';
import { anomalies, benchmark, findings, trends, type HourlyMean } from './analyze';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 30);
const series = (metric: string, hours: number, f: (i: number) => number): HourlyMean[] =>
  Array.from({ length: hours }, (_, i) => ({ metric, hour: NOW - (hours - i) * HOUR, mean: f(i) }));

describe('trends', () => {
  it('compares the last days with the days before', () => {
    const ps = series('duty', 14 * 24, (i) => (i < 7 * 24 ? 0.5 : 0.59));
    const [t] = trends(ps, NOW, 7);
    expect(t!.previous).toBeCloseTo(0.5);
    expect(t!.recent).toBeCloseTo(0.59);
    expect(t!.change).toBeCloseTo(0.18);
    expect(findings([t!], [], [])[0]!.text).toBe('duty up 18% over the last 7 days compared with the 7 days before.');
  });
  it('has no change without a previous window', () => {
    expect(trends(series('x', 24, () => 1), NOW, 7)[0]!.change).toBeNull();
  });
});

describe('anomalies', () => {
  it('flags a seeded spike in the last day by robust z-score, and nothing in noise', () => {
    const noisy = series('temp', 72, (i) => 4 + 0.2 * Math.sin(i));
    expect(anomalies(noisy, NOW)).toEqual([]);
    const spiked = noisy.map((p, i) => (i === 70 ? { ...p, mean: 9 } : p));
    const found = anomalies(spiked, NOW);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ metric: 'temp', hour: spiked[70]!.hour, mean: 9 });
    expect(found[0]!.z).toBeGreaterThan(3.5);
  });
  it('ignores spikes older than the recent window and flat series', () => {
    const old = series('temp', 72, (i) => (i === 5 ? 9 : 4 + 0.2 * Math.sin(i)));
    expect(anomalies(old, NOW)).toEqual([]);
    expect(anomalies(series('flat', 72, () => 1), NOW)).toEqual([]);
  });
});

describe('benchmark', () => {
  it('gives the percentile among the cohort with its size', () => {
    const b = benchmark('power_w', 90, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(b).toEqual({ metric: 'power_w', value: 90, percentile: 80, cohortSize: 10, cohortMedian: 55, cohortP25: 30, cohortP75: 80 });
    expect(findings([], [], [b])[0]!.text).toBe('power_w is higher than on 80% of 10 similar devices.');
  });
});
