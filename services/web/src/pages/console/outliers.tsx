import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { Outliers } from '../../api/types';
import { FleetJustification, useFleetJustification } from '../../components/justification';
import { ErrorNote, Loading, TableWrap } from '../../components/status';
import { Link } from '../../router';
import { useLoad } from '../../hooks';
import { num } from '../../format';

/** Top-N devices by error rate or by a metric's deviation from their cohort. */
export function OutliersPage() {
  const [why, setWhy] = useFleetJustification();
  const [form, setForm] = useState({ by: 'error-rate', metric: 'power_w', n: '10', model: '', firmware: '' });
  const [query, setQuery] = useState(form);
  const res = useLoad(
    (signal) =>
      api<Outliers>('GET', `/v1/fleet/outliers${qs({ by: query.by, metric: query.by === 'deviation' ? query.metric : undefined, n: query.n, model: query.model, firmware: query.firmware })}`, {
        justification: why,
        signal,
      }),
    [query, why],
  );
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <>
      <h1>Outlier devices</h1>
      <form
        class="row controls"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(form);
        }}
      >
        <FleetJustification value={why} onChange={setWhy} />
        <div>
          <label for="out-by">Rank by</label>
          <select id="out-by" value={form.by} onChange={set('by')}>
            <option value="error-rate">errors per active day</option>
            <option value="deviation">deviation of a metric from the cohort</option>
          </select>
        </div>
        {form.by === 'deviation' && (
          <div>
            <label for="out-metric">Metric</label>
            <input id="out-metric" value={form.metric} onInput={set('metric')} />
          </div>
        )}
        <div>
          <label for="out-n">How many</label>
          <input id="out-n" type="number" min={1} max={100} value={form.n} onInput={set('n')} />
        </div>
        <div>
          <label for="out-model">Model</label>
          <input id="out-model" value={form.model} onInput={set('model')} placeholder="any" />
        </div>
        <div>
          <label for="out-fw">Firmware</label>
          <input id="out-fw" value={form.firmware} onInput={set('firmware')} placeholder="any" />
        </div>
        <button type="submit">Rank</button>
      </form>
      <ErrorNote error={res.error} />
      {!res.data ? (
        <Loading />
      ) : (
        <TableWrap label="Outliers">
          <table data-testid="outliers">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Firmware</th>
                {res.data.by === 'error-rate' ? (
                  <>
                    <th scope="col">Errors</th>
                    <th scope="col">Active days</th>
                    <th scope="col">Errors / day</th>
                  </>
                ) : (
                  <>
                    <th scope="col">Mean</th>
                    <th scope="col">Cohort median</th>
                    <th scope="col">Robust z</th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {res.data.devices.map((d) => (
                <tr key={d.deviceId}>
                  <th scope="row">
                    <Link href={`/console/devices/${encodeURIComponent(d.deviceId)}`}>{d.deviceId}</Link>
                  </th>
                  <td>{d.firmware}</td>
                  {res.data!.by === 'error-rate' ? (
                    <>
                      <td>{d.errors}</td>
                      <td>{d.deviceDays}</td>
                      <td>{num(d.errorsPerDay)}</td>
                    </>
                  ) : (
                    <>
                      <td>{num(d.mean)}</td>
                      <td>{num(d.cohortMedian)}</td>
                      <td>{num(d.z)}</td>
                    </>
                  )}
                </tr>
              ))}
              {res.data.devices.length === 0 && (
                <tr>
                  <td colSpan={5}>No outliers among consenting devices.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
