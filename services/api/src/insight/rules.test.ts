import { describe, expect, it } from 'vitest';
import type { DeviceInsights } from './device-insights';
import { suggestions } from './rules';

const base: DeviceInsights = {
  deviceId: 'fridge-1',
  generatedAt: '2026-06-30T00:00:00.000Z',
  from: Date.UTC(2026, 4, 31),
  to: Date.UTC(2026, 5, 30),
  trends: [],
  anomalies: [],
  benchmarks: [],
  cohort: { model: 'fridge-x1', firmware: '1.0.0', devices: 10, shown: true },
  findings: [],
};

describe('decision-help rules', () => {
  it('fire on their findings and cite the metric series as evidence', () => {
    const s = suggestions({
      ...base,
      benchmarks: [{ metric: 'power_w', value: 95, percentile: 90, cohortSize: 10, cohortMedian: 70, cohortP25: 60, cohortP75: 80 }],
      trends: [{ metric: 'door.open', days: 7, recent: 0.4, previous: 0.2, change: 1 }],
    });
    expect(s.map((x) => x.code)).toEqual(['suggestion.energy_high', 'suggestion.door_opened_more']);
    expect(s[0]!.evidence).toEqual([{ kind: 'metric', ref: 'power_w', from: '2026-05-31T00:00:00.000Z', to: '2026-06-30T00:00:00.000Z', note: '/v1/devices/fridge-1/metrics/power_w' }]);
    expect(s[0]!.detail).toContain('above 90% of 10 similar devices');
  });
  it('stay silent on ordinary devices', () => {
    expect(suggestions({ ...base, benchmarks: [{ metric: 'power_w', value: 70, percentile: 50, cohortSize: 10, cohortMedian: 70, cohortP25: 60, cohortP75: 80 }], trends: [{ metric: 'compressor.duty_cycle', days: 7, recent: 0.5, previous: 0.48, change: 0.04 }] })).toEqual([]);
  });
});
