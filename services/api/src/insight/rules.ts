import type { Evidence } from '@parley/registry';
import type { DeviceInsights } from './device-insights';

/** A suggestion: an inference of Parley's insight engine, with the evidence it rests on. */
export interface Suggestion {
  code: string;
  title: string;
  detail: string;
  evidence: Evidence[];
}

interface Rule {
  code: string;
  /** Returns the suggestion's detail when the rule fires on these insights, else null. */
  when(i: DeviceInsights): { detail: string; metric: string } | null;
  title: string;
}

const trendOf = (i: DeviceInsights, metric: string) => i.trends.find((t) => t.metric === metric && t.change !== null);
const benchOf = (i: DeviceInsights, metric: string) => i.benchmarks.find((b) => b.metric === metric);
const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Decision help: each rule turns a finding into advice. Rules only read insights (trends,
 * anomalies, benchmarks) so every suggestion can point at the rows behind it.
 */
export const RULES: readonly Rule[] = [
  {
    code: 'suggestion.energy_high',
    title: 'Uses more energy than most similar appliances',
    when: (i) => {
      const b = benchOf(i, 'power_w');
      return b && b.percentile >= 80
        ? { metric: 'power_w', detail: `Average power ${b.value.toFixed(1)} W is above ${b.percentile}% of ${b.cohortSize} similar devices (median ${b.cohortMedian.toFixed(1)} W). Check placement, ventilation and door seal.` }
        : null;
    },
  },
  {
    code: 'suggestion.door_opened_more',
    title: 'The door is opened much more often',
    when: (i) => {
      const t = trendOf(i, 'door.open');
      return t && t.change! >= 1 ? { metric: 'door.open', detail: `Door openings up ${pct(t.change!)} over the last ${t.days} days. If nobody opens it more, check that it closes and seals.` } : null;
    },
  },
  {
    code: 'suggestion.compressor_working_harder',
    title: 'The compressor works harder than before',
    when: (i) => {
      const t = trendOf(i, 'compressor.duty_cycle');
      return t && t.change! >= 0.15
        ? { metric: 'compressor.duty_cycle', detail: `Compressor duty cycle up ${pct(t.change!)} over the last ${t.days} days. Cleaning the condenser coils and checking the door seal usually helps.` }
        : null;
    },
  },
  {
    code: 'suggestion.temperature_excursion',
    title: 'Unusual temperatures in the last day',
    when: (i) => {
      const a = i.anomalies.find((x) => x.metric.endsWith('temp_c'));
      return a ? { metric: a.metric, detail: `${a.metric} reached ${a.mean.toFixed(1)} in the hour from ${new Date(a.hour).toISOString()} (usually ${a.median.toFixed(1)}). Check what is stored and whether the door was left open.` } : null;
    },
  },
];

/** The suggestions the rules make for these insights, each with evidence (the metric series behind it). */
export function suggestions(i: DeviceInsights): Suggestion[] {
  const out: Suggestion[] = [];
  for (const rule of RULES) {
    const hit = rule.when(i);
    if (!hit) continue;
    out.push({
      code: rule.code,
      title: rule.title,
      detail: hit.detail,
      evidence: [{ kind: 'metric', ref: hit.metric, from: new Date(i.from).toISOString(), to: new Date(i.to).toISOString(), note: `/v1/devices/${i.deviceId}/metrics/${hit.metric}` }],
    });
  }
  return out;
}
