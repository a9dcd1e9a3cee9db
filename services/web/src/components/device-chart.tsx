import { useMemo } from 'preact/hooks';
import { api, qs } from '../api/client';
import type { MetricBucket, MetricSeries } from '../api/types';
import { useLoad } from '../hooks';
import { MetricChart, type ChartSeries } from './metric-chart';
import { ErrorNote, Loading, Empty } from './status';

export const RANGES: [string, number][] = [
  ['Last hour', 3_600_000],
  ['Last 24 hours', 86_400_000],
  ['Last 7 days', 7 * 86_400_000],
  ['Last 30 days', 30 * 86_400_000],
];

export interface DeviceChartProps {
  deviceId: string;
  metric: string;
  fromMs: number;
  toMs: number;
  justification?: string | null;
  /** The cohort's median of this metric, drawn as a dashed line. */
  cohortMedian?: number | null;
  /** The middle half of the cohort (25th–75th percentile of device means), drawn as a band. */
  cohortBand?: { low: number; high: number } | null;
}

/** Buckets as chart data: the average line, drawn inside the min–max band (`band={[0, 2]}`). */
export function bandSeries(b: MetricBucket[]): { times: number[]; series: ChartSeries[] } {
  return {
    times: b.map((x) => Date.parse(x.time) / 1000),
    series: [
      { label: 'max', values: b.map((x) => x.max), color: 'rgba(11,92,173,0.35)', width: 1 },
      { label: 'average', values: b.map((x) => x.avg), color: '#0b5cad' },
      { label: 'min', values: b.map((x) => x.min), color: 'rgba(11,92,173,0.35)', width: 1 },
    ],
  };
}

/** One metric of one device: average line inside its min–max band, plus the cohort median and middle half. */
export function DeviceChart({ deviceId, metric, fromMs, toMs, justification, cohortMedian, cohortBand }: DeviceChartProps) {
  const series = useLoad(
    (signal) =>
      api<MetricSeries>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/metrics/${encodeURIComponent(metric)}${qs({ from: fromMs, to: toMs })}`, {
        signal,
        justification: justification ?? null,
      }),
    [deviceId, metric, fromMs, toMs, justification],
  );
  const chart = useMemo(() => {
    return {
      ...bandSeries(series.data?.buckets ?? []),
      lines: cohortMedian === null || cohortMedian === undefined ? [] : [{ value: cohortMedian, label: 'similar devices (median)', color: '#b35900' }],
    };
  }, [series.data, cohortMedian]);
  if (series.error) return <ErrorNote error={series.error} />;
  if (!series.data) return <Loading what="Loading the chart" />;
  if (series.data.buckets.length === 0) return <Empty>No samples of {metric} in this range.</Empty>;
  return (
    <MetricChart
      title={`${metric} (${series.data.bucketSeconds} s buckets)`}
      times={chart.times}
      series={chart.series}
      band={[0, 2]}
      lines={chart.lines}
      {...(cohortBand ? { refBand: { ...cohortBand, label: 'similar devices', color: '#b35900', fill: 'rgba(179, 89, 0, 0.10)' } } : {})}
      xRange={[fromMs / 1000, Math.min(toMs, Date.now()) / 1000]}
    />
  );
}
