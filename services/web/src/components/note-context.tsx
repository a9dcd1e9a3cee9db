import { useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api/client';
import type { NoteContext } from '../api/voice-types';
import { useLoad } from '../hooks';
import { bandSeries } from './device-chart';
import { MetricChart } from './metric-chart';
import { Empty, ErrorNote, Loading } from './status';

const MINUTES = 10;

/** The telemetry from ten minutes before a note to ten minutes after it (or after its span), one metric at a time. */
export function NoteTelemetry({ noteId, justification }: { noteId: string; justification: string | null }) {
  const [picked, setPicked] = useState('');
  const ctx = useLoad(
    (signal) => api<NoteContext>('GET', `/v1/notes/${encodeURIComponent(noteId)}/context${qs({ minutes: MINUTES, metric: picked })}`, { justification, signal }),
    [noteId, picked],
  );
  const chart = useMemo(() => bandSeries(ctx.data?.series?.buckets ?? []), [ctx.data]);
  if (ctx.error) return <ErrorNote error={ctx.error} />;
  if (!ctx.data) return <Loading what="Loading the telemetry around the note" />;
  const { metrics, series, from, to } = ctx.data;
  if (metrics.length === 0) return <Empty>No samples within {MINUTES} minutes of this note.</Empty>;
  const id = `context-${noteId}`;
  return (
    <div class="note-context">
      <label for={id}>Metric (±{MINUTES} minutes)</label>
      <select id={id} value={series?.metric ?? ''} onChange={(e) => setPicked(e.currentTarget.value)}>
        {!series && <option value="">choose a metric</option>}
        {metrics.map((m) => (
          <option key={m.metric} value={m.metric}>
            {m.metric} ({m.count} samples)
          </option>
        ))}
      </select>
      {series &&
        (series.buckets.length === 0 ? (
          <Empty>No samples of {series.metric} around this note.</Empty>
        ) : (
          <MetricChart title={`${series.metric} around the note (${series.bucketSeconds} s buckets)`} times={chart.times} series={chart.series} band={[0, 2]} xRange={[Date.parse(from) / 1000, Date.parse(to) / 1000]} />
        ))}
    </div>
  );
}
