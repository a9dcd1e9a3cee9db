import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { FirmwareComparison, FleetMetric } from '../../api/types';
import { FleetJustification, useFleetJustification } from '../../components/justification';
import { MetricChart } from '../../components/metric-chart';
import { ErrorNote, Loading, TableWrap, Empty } from '../../components/status';
import { useLoad } from '../../hooks';
import { num, percent } from '../../format';
import { knownVersions } from './fleet-data';
import { SuppressedNote } from './overview';
import { ModelSelect } from '../../components/choosers';

const COLORS = ['#0b5cad', '#b35900', '#2e7d32', '#8e24aa', '#c62828', '#00838f', '#5d4037', '#37474f'];

function PercentilesOverTime({ metric, versions, model, why }: { metric: string; versions: string[]; model: string; why: string }) {
  const data = useLoad(
    (signal) => api<FleetMetric>('GET', `/v1/fleet/metrics/${encodeURIComponent(metric)}${qs({ model, bucket: 'hour' })}`, { justification: why, signal }),
    [metric, model, why],
  );
  const chart = useMemo(() => {
    const groups = (data.data?.groups ?? []).filter((g) => g.time && (versions.length === 0 || versions.includes(g.firmware)));
    const times = [...new Set(groups.map((g) => Date.parse(g.time!) / 1000))].sort((a, b) => a - b);
    const fws = [...new Set(groups.map((g) => g.firmware))];
    const series = fws.flatMap((fw, i) => {
      const at = new Map(groups.filter((g) => g.firmware === fw).map((g) => [Date.parse(g.time!) / 1000, g]));
      const color = COLORS[i % COLORS.length]!;
      return [
        { label: `${fw} p50`, values: times.map((t) => at.get(t)?.p50 ?? null), color },
        { label: `${fw} p95`, values: times.map((t) => at.get(t)?.p95 ?? null), color, dash: [4, 3], width: 1.5 },
      ];
    });
    return { times, series };
  }, [data.data, versions.join(',')]);
  if (data.error) return <ErrorNote error={data.error} />;
  if (!data.data) return <Loading what="Loading percentiles" />;
  return (
    <>
      {chart.times.length === 0 ? <Empty>No hourly group large enough to show.</Empty> : <MetricChart title={`${metric}: p50 (solid) and p95 (dashed) per hour`} times={chart.times} series={chart.series} />}
      <SuppressedNote suppressed={data.data.suppressedGroups} minDevices={data.data.minDevices} excluded={data.data.excludedDevices} />
    </>
  );
}

/** Firmware versions side by side, and a metric's percentiles per version over time. */
export function FirmwarePage() {
  const [why, setWhy] = useFleetJustification();
  const known = useLoad((s) => knownVersions(s), []);
  const [versionsText, setVersionsText] = useState('');
  const [versions, setVersions] = useState<string[]>([]);
  const [model, setModel] = useState('');
  const [metric, setMetric] = useState('power_w');
  const [metricInput, setMetricInput] = useState('power_w');
  useEffect(() => {
    if (known.data && versions.length === 0) {
      const v = known.data.firmware.slice(0, 8);
      setVersions(v);
      setVersionsText(v.join(','));
    }
  }, [known.data]);
  const comparison = useLoad(
    (signal) =>
      versions.length === 0
        ? Promise.resolve(undefined)
        : api<FirmwareComparison>('GET', `/v1/fleet/firmware-comparison${qs({ versions: versions.join(','), model })}`, { justification: why, signal }),
    [versions.join(','), model, why],
  );
  return (
    <>
      <h1>Firmware comparison</h1>
      <form
        class="row controls"
        onSubmit={(e) => {
          e.preventDefault();
          setVersions(versionsText.split(',').map((s) => s.trim()).filter(Boolean).slice(0, 8));
          setMetric(metricInput.trim());
        }}
      >
        <FleetJustification value={why} onChange={setWhy} />
        <div>
          <label for="fw-versions">Versions (comma-separated, up to 8)</label>
          <input id="fw-versions" value={versionsText} onInput={(e) => setVersionsText(e.currentTarget.value)} placeholder="1.4.2,1.5.0" />
        </div>
        <ModelSelect id="fw-model" models={known.data?.models} value={model} onChange={setModel} />
        <div>
          <label for="fw-metric">Metric for percentiles</label>
          <input id="fw-metric" value={metricInput} onInput={(e) => setMetricInput(e.currentTarget.value)} />
        </div>
        <button type="submit">Compare</button>
      </form>
      <ErrorNote error={known.error ?? comparison.error} />
      <section aria-labelledby="cmp-h">
        <h2 id="cmp-h">Reliability per version (last 31 days)</h2>
        {!comparison.data ? (
          <Loading what="Comparing" />
        ) : (
          <TableWrap label="Firmware comparison">
            <table data-testid="firmware-comparison">
              <thead>
                <tr>
                  <th scope="col">Firmware</th>
                  <th scope="col">Devices</th>
                  <th scope="col">Device-days</th>
                  <th scope="col">Errors / device-day</th>
                  <th scope="col">Reboots / device-day</th>
                  <th scope="col">Error-free hours</th>
                </tr>
              </thead>
              <tbody>
                {comparison.data.versions.map((v) => (
                  <tr key={v.firmware}>
                    <th scope="row">{v.firmware}</th>
                    <td>{v.devices ?? `< ${comparison.data!.minDevices} (hidden)`}</td>
                    <td>{v.deviceDays ?? '–'}</td>
                    <td>{num(v.errorsPerDeviceDay, 3)}</td>
                    <td>{num(v.rebootsPerDeviceDay, 3)}</td>
                    <td>{percent(v.stableHoursShare)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
      <section aria-labelledby="pct-h">
        <h2 id="pct-h">Percentiles over time</h2>
        <PercentilesOverTime metric={metric} versions={versions} model={model} why={why} />
      </section>
    </>
  );
}
