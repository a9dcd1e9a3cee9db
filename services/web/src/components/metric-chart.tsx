import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
  width?: number;
}

export interface ChartProps {
  /** Unix seconds. */
  times: number[];
  series: ChartSeries[];
  /** Fill between two series (indices into `series`): min/max band. */
  band?: [upper: number, lower: number];
  /** Horizontal reference lines, e.g. the cohort median. */
  lines?: { value: number; label: string; color: string }[];
  /** A horizontal reference band, e.g. the middle half of similar devices. */
  refBand?: { low: number; high: number; label: string; color: string; fill: string };
  height?: number;
  title: string;
  /** The x range in unix seconds (default: the data's own). */
  xRange?: [number, number];
}

/** A uPlot line chart that follows its container's width. */
export function MetricChart({ times, series, band, lines = [], refBand, height = 240, title, xRange }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // uPlot cannot scale a single x value: show an hour either side of it.
    const range = xRange ?? (times.length > 0 && times[0] === times[times.length - 1] ? ([times[0]! - 3600, times[0]! + 3600] as [number, number]) : undefined);
    const refLines = lines.map((l) => ({ ...l, values: times.map(() => l.value) }));
    const bandLines = refBand
      ? [
          { label: `${refBand.label} (75th pct)`, values: times.map(() => refBand.high), color: refBand.color, dash: [2, 3], width: 1 },
          { label: `${refBand.label} (25th pct)`, values: times.map(() => refBand.low), color: refBand.color, dash: [2, 3], width: 1 },
        ]
      : [];
    const all = [...series, ...refLines.map((l) => ({ label: l.label, values: l.values, color: l.color, dash: [6, 4], width: 1.5 })), ...bandLines];
    const bandIndex = series.length + refLines.length;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      title,
      scales: { x: range ? { time: true, range: () => range } : { time: true } },
      axes: [{ stroke: '#333' }, { stroke: '#333', size: 56 }],
      series: [{}, ...all.map((s) => ({ label: s.label, stroke: s.color, width: s.width ?? 2, ...(s.dash ? { dash: s.dash } : {}), spanGaps: false }))],
      bands: [
        ...(band ? [{ series: [band[0] + 1, band[1] + 1] as [number, number], fill: 'rgba(11, 92, 173, 0.12)' }] : []),
        ...(refBand ? [{ series: [bandIndex + 1, bandIndex + 2] as [number, number], fill: refBand.fill }] : []),
      ],
    };
    const chart = new uPlot(opts, [times, ...all.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [times, series, band, lines, refBand, height, title, xRange?.[0], xRange?.[1]]);
  return <div ref={box} class="chart" role="img" aria-label={title} />;
}
