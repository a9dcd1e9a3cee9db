import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { FleetActivity, FleetEvents, FleetMetric } from '../../api/types';
import { FleetJustification, useFleetJustification } from '../../components/justification';
import { Badge, ErrorNote, Loading, TableWrap, Empty } from '../../components/status';
import { useLoad } from '../../hooks';
import { num, time } from '../../format';
import { knownVersions } from './fleet-data';
import { ModelSelect } from '../../components/choosers';

export function SuppressedNote({ suppressed, minDevices, excluded }: { suppressed: number; minDevices?: number; excluded?: number }) {
  if (!suppressed && !excluded) return null;
  return (
    <p class="hint">
      {suppressed > 0 && `${suppressed} group(s) with fewer than ${minDevices ?? 'k'} devices are not shown (k-anonymity). `}
      {excluded ? `${excluded} opted-out device(s) left out.` : ''}
    </p>
  );
}

/** Fleet overview: activity, one metric by firmware, event codes by severity. */
export function FleetOverview() {
  const [why, setWhy] = useFleetJustification();
  const [hours, setHours] = useState(24);
  const [model, setModel] = useState('');
  const [metric, setMetric] = useState('power_w');
  const [metricInput, setMetricInput] = useState('power_w');
  const versions = useLoad((s) => knownVersions(s), []);
  const j = { justification: why };
  const activity = useLoad((signal) => api<FleetActivity>('GET', `/v1/fleet/activity${qs({ hours, model })}`, { ...j, signal }), [hours, model, why]);
  const byFirmware = useLoad((signal) => api<FleetMetric>('GET', `/v1/fleet/metrics/${encodeURIComponent(metric)}${qs({ model })}`, { ...j, signal }), [metric, model, why]);
  const events = useLoad((signal) => api<FleetEvents>('GET', `/v1/fleet/events${qs({ model })}`, { ...j, signal }), [model, why]);
  const silent = useLoad(
    (signal) => api<{ hours: number; devices: { deviceId: string; model: string; lastHour: string | null }[] }>('GET', `/v1/fleet/silent${qs({ hours, model, limit: 20 })}`, { ...j, signal }),
    [hours, model, why],
  );
  const daily = useLoad((signal) => api<FleetEvents>('GET', `/v1/fleet/events${qs({ model, bucket: 'day' })}`, { ...j, signal }), [model, why]);
  const errorTrend = errorsPerDay(daily.data);

  return (
    <>
      <h1>Fleet overview</h1>
      <div class="row controls">
        <FleetJustification value={why} onChange={setWhy} />
        <ModelSelect id="fleet-model" models={versions.data?.models} value={model} onChange={setModel} />
        <div>
          <label for="fleet-hours">Active within (hours)</label>
          <input id="fleet-hours" type="number" min={1} max={2160} value={hours} onChange={(e) => setHours(Number(e.currentTarget.value) || 24)} />
        </div>
      </div>

      <section aria-labelledby="activity-h">
        <h2 id="activity-h">Activity</h2>
        <ErrorNote error={activity.error} />
        {activity.data ? (
          <ul class="stats" data-testid="activity">
            <li>
              <span class="stat">{activity.data.devices}</span> known devices
            </li>
            <li>
              <span class="stat">{activity.data.active}</span> reported in the last {activity.data.hours} h
            </li>
            <li>
              <span class="stat">{activity.data.silent}</span> went silent
            </li>
          </ul>
        ) : (
          <Loading />
        )}
        <p class="hint">Consenting devices only.</p>
        <ErrorNote error={silent.error} />
        {silent.data && silent.data.devices.length > 0 && (
          <TableWrap label="Silent devices">
            <table data-testid="silent-devices">
              <thead>
                <tr>
                  <th scope="col">Silent device</th>
                  <th scope="col">Model</th>
                  <th scope="col">Last heard (hour)</th>
                </tr>
              </thead>
              <tbody>
                {silent.data.devices.map((d) => (
                  <tr key={d.deviceId}>
                    <th scope="row">{d.deviceId}</th>
                    <td>{d.model}</td>
                    <td>{d.lastHour ? time(d.lastHour) : 'never'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <section aria-labelledby="trend-h">
        <h2 id="trend-h">Error and critical events per day</h2>
        <ErrorNote error={daily.error} />
        {daily.data &&
          (errorTrend.length === 0 ? (
            <Empty>No error events (in groups of at least k devices) in the last 31 days.</Empty>
          ) : (
            <TableWrap label="Error trend">
              <table data-testid="error-trend">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Errors</th>
                  </tr>
                </thead>
                <tbody>
                  {errorTrend.map(([day, n]) => (
                    <tr key={day}>
                      <th scope="row">{day.slice(0, 10)}</th>
                      <td>{n}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ))}
      </section>

      <section aria-labelledby="metric-h">
        <h2 id="metric-h">A metric by firmware (last 31 days)</h2>
        <form
          class="row controls"
          onSubmit={(e) => {
            e.preventDefault();
            setMetric(metricInput.trim());
          }}
        >
          <div>
            <label for="fleet-metric">Metric</label>
            <input id="fleet-metric" value={metricInput} pattern="[a-z][a-z0-9_]*(\.[a-z0-9_]+)*" onInput={(e) => setMetricInput(e.currentTarget.value)} />
          </div>
          <button type="submit">Show</button>
        </form>
        <ErrorNote error={byFirmware.error} />
        {byFirmware.data && (
          <>
            <TableWrap label={`${metric} by firmware`}>
              <table data-testid="fleet-metric">
                <thead>
                  <tr>
                    <th scope="col">Firmware</th>
                    <th scope="col">Devices</th>
                    <th scope="col">Samples</th>
                    <th scope="col">Min</th>
                    <th scope="col">Mean</th>
                    <th scope="col">p50</th>
                    <th scope="col">p95</th>
                    <th scope="col">p99</th>
                    <th scope="col">Max</th>
                  </tr>
                </thead>
                <tbody>
                  {byFirmware.data.groups.map((g) => (
                    <tr key={g.firmware}>
                      <th scope="row">{g.firmware}</th>
                      <td>{g.devices}</td>
                      <td>{g.samples}</td>
                      <td>{num(g.min)}</td>
                      <td>{num(g.avg)}</td>
                      <td>{num(g.p50)}</td>
                      <td>{num(g.p95)}</td>
                      <td>{num(g.p99)}</td>
                      <td>{num(g.max)}</td>
                    </tr>
                  ))}
                  {byFirmware.data.groups.length === 0 && (
                    <tr>
                      <td colSpan={9}>No group large enough to show.</td>
                    </tr>
                  )}
                </tbody>
              </table>
            </TableWrap>
            <SuppressedNote suppressed={byFirmware.data.suppressedGroups} minDevices={byFirmware.data.minDevices} excluded={byFirmware.data.excludedDevices} />
          </>
        )}
      </section>

      <section aria-labelledby="events-h">
        <h2 id="events-h">Device events by severity and firmware</h2>
        <ErrorNote error={events.error} />
        {events.data &&
          (events.data.events.length === 0 ? (
            <Empty>No event group large enough to show.</Empty>
          ) : (
            <TableWrap label="Events">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Code</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Firmware</th>
                    <th scope="col">Events</th>
                    <th scope="col">Devices</th>
                  </tr>
                </thead>
                <tbody>
                  {events.data.events.map((e) => (
                    <tr key={`${e.code}-${e.severity}-${e.firmware}`}>
                      <th scope="row">{e.code}</th>
                      <td>
                        <Badge value={e.severity} />
                      </td>
                      <td>{e.firmware}</td>
                      <td>{e.events}</td>
                      <td>{e.devices}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ))}
        {events.data && <SuppressedNote suppressed={events.data.suppressedGroups} />}
      </section>
    </>
  );
}

/** Error and critical events summed per day (from the day-bucketed breakdown), oldest first. */
function errorsPerDay(events: FleetEvents | undefined): [string, number][] {
  const byDay = new Map<string, number>();
  for (const e of events?.events ?? []) {
    if (!e.time || (e.severity !== 'error' && e.severity !== 'critical')) continue;
    byDay.set(e.time, (byDay.get(e.time) ?? 0) + e.events);
  }
  return [...byDay].sort(([a], [b]) => a.localeCompare(b));
}
