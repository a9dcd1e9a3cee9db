/**
 * Turning a device's hourly means into insight: trends, anomalies against the device's own
 * history, and its place in a cohort. Pure functions over numbers, so each rule is unit-tested.
 */

export interface HourlyMean {
  metric: string;
  hour: number;
  mean: number;
}

export interface Trend {
  metric: string;
  days: number;
  recent: number;
  previous: number;
  /** (recent − previous) / |previous|; null when the previous window has no data or is 0. */
  change: number | null;
}

export interface Anomaly {
  metric: string;
  hour: number;
  mean: number;
  median: number;
  /** Robust z-score: 0.6745 · (x − median) / MAD. */
  z: number;
}

export interface Benchmark {
  metric: string;
  value: number;
  /** Share of cohort devices with a lower mean, 0–100. */
  percentile: number;
  cohortSize: number;
  cohortMedian: number;
  /** The middle half of the cohort's means: 25th and 75th percentile (nearest rank). */
  cohortP25: number;
  cohortP75: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Iglewicz and Hoaglin's cut-off for the modified z-score. */
export const ANOMALY_Z = 3.5;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function byMetric(points: readonly HourlyMean[]): Map<string, HourlyMean[]> {
  const m = new Map<string, HourlyMean[]>();
  for (const p of points) m.set(p.metric, [...(m.get(p.metric) ?? []), p]);
  return m;
}

/** Mean of the last `days` days before `nowMs` against the `days` before those, per metric. */
export function trends(points: readonly HourlyMean[], nowMs: number, days: number): Trend[] {
  const out: Trend[] = [];
  for (const [metric, ps] of byMetric(points)) {
    const recent = ps.filter((p) => p.hour >= nowMs - days * DAY && p.hour < nowMs).map((p) => p.mean);
    const previous = ps.filter((p) => p.hour >= nowMs - 2 * days * DAY && p.hour < nowMs - days * DAY).map((p) => p.mean);
    if (recent.length === 0) continue;
    const r = mean(recent);
    const p = previous.length ? mean(previous) : NaN;
    out.push({ metric, days, recent: r, previous: Number.isNaN(p) ? NaN : p, change: previous.length && p !== 0 ? (r - p) / Math.abs(p) : null });
  }
  return out;
}

/** Modified z-scores of `values` against their own median and MAD; all 0 when there is no spread. */
export function robustZ(values: readonly number[]): { median: number; z: number[] } {
  const med = median(values);
  const mad = median(values.map((v) => Math.abs(v - med)));
  return { median: med, z: values.map((v) => (mad === 0 ? 0 : (0.6745 * (v - med)) / mad)) };
}

/**
 * Hours in the last `recentHours` whose mean is far from the device's own history (every hour in
 * `points`), by the robust z-score; needs at least 24 hours of history and some spread.
 */
export function anomalies(points: readonly HourlyMean[], nowMs: number, recentHours = 24): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [metric, ps] of byMetric(points)) {
    if (ps.length < 24) continue;
    const { median: med, z } = robustZ(ps.map((p) => p.mean));
    ps.forEach((p, i) => {
      if (p.hour >= nowMs - recentHours * HOUR && Math.abs(z[i]!) > ANOMALY_Z) out.push({ metric, hour: p.hour, mean: p.mean, median: med, z: z[i]! });
    });
  }
  return out;
}

/** Where `value` sits among the cohort's per-device means (the device itself included). */
export function benchmark(metric: string, value: number, cohort: readonly number[]): Benchmark {
  const below = cohort.filter((v) => v < value).length;
  const sorted = [...cohort].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    metric,
    value,
    percentile: Math.round((100 * below) / cohort.length),
    cohortSize: cohort.length,
    cohortMedian: median(cohort),
    cohortP25: rank(0.25),
    cohortP75: rank(0.75),
  };
}

const pct = (x: number) => `${Math.round(Math.abs(x) * 100)}%`;

/** Plain-language findings from trends, anomalies and benchmarks; only the ones worth saying. */
export function findings(t: readonly Trend[], a: readonly Anomaly[], b: readonly Benchmark[]): { metric: string; kind: string; text: string }[] {
  const out: { metric: string; kind: string; text: string }[] = [];
  for (const x of t) {
    if (x.change !== null && Math.abs(x.change) >= 0.1) {
      out.push({ metric: x.metric, kind: 'trend', text: `${x.metric} ${x.change > 0 ? 'up' : 'down'} ${pct(x.change)} over the last ${x.days} days compared with the ${x.days} days before.` });
    }
  }
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x.metric, (counts.get(x.metric) ?? 0) + 1);
  for (const [metric, n] of counts) out.push({ metric, kind: 'anomaly', text: `${n} unusual hour${n === 1 ? '' : 's'} of ${metric} in the last 24 hours, compared with this device's own history.` });
  for (const x of b) {
    if (x.percentile >= 80) out.push({ metric: x.metric, kind: 'benchmark', text: `${x.metric} is higher than on ${x.percentile}% of ${x.cohortSize} similar devices.` });
    else if (x.percentile <= 20) out.push({ metric: x.metric, kind: 'benchmark', text: `${x.metric} is lower than on ${100 - x.percentile}% of ${x.cohortSize} similar devices.` });
  }
  return out;
}
