import { useMemo } from 'preact/hooks';
import { api } from '../../api/client';
import type { Inference, Insights } from '../../api/types';
import { Link, navigate, useLocation } from '../../router';
import { DeviceChart, RANGES } from '../../components/device-chart';
import { ErrorNote, Loading, Empty, TableWrap } from '../../components/status';
import { useAction, useLoad } from '../../hooks';
import { change, num, time } from '../../format';
import { InferenceList } from './inferences';

/** `/v1/devices/x/metrics/power_w?from=…&to=…` → the UI link showing that chart. */
function evidenceHref(base: string, evidence: string): string {
  const m = /\/metrics\/([^?]+)(?:\?(.*))?$/.exec(evidence);
  if (!m) return `${base}/insights`;
  const q = new URLSearchParams(m[2] ?? '');
  q.set('metric', decodeURIComponent(m[1]!));
  return `${base}/insights?${q}`;
}

/** Charts with the cohort benchmark, trends, unusual hours, findings and inferences. */
export function InsightsTab({ deviceId, canAct, justification }: { deviceId: string; canAct: boolean; justification?: string }) {
  const { search } = useLocation();
  const base = `/my/devices/${encodeURIComponent(deviceId)}`;
  const enc = encodeURIComponent(deviceId);
  const metrics = useLoad(() => api<{ metrics: { metric: string; count: number }[] }>('GET', `/v1/devices/${enc}/metrics`), [deviceId]);
  const insights = useLoad(() => api<Insights>('GET', `/v1/devices/${enc}/insights`), [deviceId]);
  const inferences = useLoad(() => api<{ inferences: Inference[] }>('GET', `/v1/devices/${enc}/inferences`), [deviceId]);
  const suggest = useAction();

  const metric = search.get('metric') ?? metrics.data?.metrics[0]?.metric ?? '';
  const rangeMs = Number(search.get('range') ?? RANGES[1]![1]);
  const { fromMs, toMs } = useMemo(() => {
    const from = search.get('from');
    const to = search.get('to');
    if (from && to) return { fromMs: Date.parse(from), toMs: Date.parse(to) };
    const now = Date.now();
    return { fromMs: now - rangeMs, toMs: now + 60_000 };
  }, [search.get('from'), search.get('to'), rangeMs, metric]);
  const bench = insights.data?.benchmarks.find((b) => b.metric === metric);
  const set = (patch: Record<string, string | null>) => {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(patch)) v === null ? q.delete(k) : q.set(k, v);
    navigate(`${base}/insights?${q}`, true);
  };

  return (
    <>
      <section aria-labelledby="charts-h">
        <h2 id="charts-h">Charts</h2>
        <ErrorNote error={metrics.error} />
        {metrics.data && metrics.data.metrics.length === 0 && <Empty>The device has not reported any metric in your period yet.</Empty>}
        {metric && (
          <>
            <div class="row controls">
              <div>
                <label for="metric-select">Metric</label>
                <select id="metric-select" value={metric} onChange={(e) => set({ metric: e.currentTarget.value })}>
                  {metrics.data?.metrics.map((m) => (
                    <option key={m.metric} value={m.metric}>
                      {m.metric}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label for="range-select">Range</label>
                <select id="range-select" value={search.get('from') ? '' : String(rangeMs)} onChange={(e) => set({ range: e.currentTarget.value, from: null, to: null })}>
                  {search.get('from') && <option value="">{`${time(search.get('from'))} – ${time(search.get('to'))}`}</option>}
                  {RANGES.map(([label, ms]) => (
                    <option key={ms} value={String(ms)}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <DeviceChart deviceId={deviceId} metric={metric} fromMs={fromMs} toMs={toMs} {...(justification ? { justification } : {})} cohortMedian={bench?.cohortMedian ?? null} cohortBand={bench ? { low: bench.cohortP25, high: bench.cohortP75 } : null} />
            <p class="benchmark" data-testid="benchmark">
              {bench
                ? `Your 30-day average of ${metric} is ${num(bench.value)}: higher than ${bench.percentile} % of ${bench.cohortSize} similar devices (their median: ${num(bench.cohortMedian)}, dashed line; their middle half: ${num(bench.cohortP25)}–${num(bench.cohortP75)}, shaded band).`
                : insights.data?.cohort.shown === false
                  ? `No comparison with similar devices yet: ${insights.data.cohort.model} ${insights.data.cohort.firmware} needs enough consenting devices (${insights.data.cohort.devices} so far).`
                  : 'No cohort benchmark for this metric.'}
            </p>
          </>
        )}
      </section>

      <section aria-labelledby="findings-h">
        <h2 id="findings-h">Findings</h2>
        <ErrorNote error={insights.error} />
        {!insights.data ? (
          <Loading what="Computing insights" />
        ) : (
          <>
            {insights.data.findings.length === 0 ? (
              <Empty>Nothing unusual found.</Empty>
            ) : (
              <ul class="findings" data-testid="findings">
                {insights.data.findings.map((f, i) => (
                  <li key={i}>
                    {f.text} <Link href={evidenceHref(base, f.evidence)}>See the data</Link>
                  </li>
                ))}
              </ul>
            )}
            <h3>Trends</h3>
            <TableWrap label="Trends">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col">Last {insights.data.trends[0]?.days ?? 7} days</th>
                    <th scope="col">Days before</th>
                    <th scope="col">Change</th>
                  </tr>
                </thead>
                <tbody>
                  {insights.data.trends.map((t) => (
                    <tr key={t.metric}>
                      <th scope="row">
                        <Link href={`${base}/insights?metric=${encodeURIComponent(t.metric)}`}>{t.metric}</Link>
                      </th>
                      <td>{num(t.recent)}</td>
                      <td>{num(t.previous)}</td>
                      <td>{change(t.change)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            {insights.data.anomalies.length > 0 && (
              <>
                <h3>Unusual hours (last 24 h)</h3>
                <ul>
                  {insights.data.anomalies.map((a, i) => (
                    <li key={i}>
                      {a.metric} at {time(a.hour)}: {num(a.mean)} (usually {num(a.median)}, z = {num(a.z)})
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </section>

      <section aria-labelledby="inferences-h">
        <div class="section-head">
          <h2 id="inferences-h">What the manufacturer infers</h2>
          {canAct && (
            <button
              type="button"
              class="secondary"
              disabled={suggest.busy}
              onClick={() =>
                void suggest.run(async () => {
                  await api('POST', `/v1/devices/${enc}/suggestions`);
                  inferences.reload();
                })
              }
            >
              Ask for suggestions
            </button>
          )}
        </div>
        <ErrorNote error={suggest.error ?? inferences.error} />
        {inferences.data && <InferenceList inferences={inferences.data.inferences} base={base} canAnswer={canAct} side="owner" onChanged={inferences.reload} />}
      </section>
    </>
  );
}
