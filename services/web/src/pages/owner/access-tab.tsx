import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { AccessEntry } from '../../api/types';
import { ErrorNote, Loading, TableWrap } from '../../components/status';
import { useLoad } from '../../hooks';
import { time } from '../../format';

const WHO: Record<string, string> = { manufacturer: 'Manufacturer engineer', owner: 'Your household', grantee: 'Someone you shared with' };

/** "Who looked, when, why": every read of the device's data in the owner's period. */
export function AccessTab({ deviceId }: { deviceId: string }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const [older, setOlder] = useState<AccessEntry[]>([]);
  const [hideOwn, setHideOwn] = useState(true);
  const first = useLoad(() => api<{ entries: AccessEntry[]; nextCursor: string | null }>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/access-log${qs({ limit: 100 })}`), [deviceId]);
  const next = cursor ?? first.data?.nextCursor ?? null;
  const entries = [...(first.data?.entries ?? []), ...older].filter((e) => !hideOwn || e.kind !== 'owner');
  return (
    <section aria-labelledby="access-h">
      <div class="section-head">
        <h2 id="access-h">Who looked at this device</h2>
        <button type="button" class="secondary" onClick={first.reload}>
          Refresh
        </button>
      </div>
      <label class="check">
        <input type="checkbox" checked={hideOwn} onChange={(e) => setHideOwn(e.currentTarget.checked)} /> Hide my household’s own reads
      </label>
      <ErrorNote error={first.error} />
      {!first.data ? (
        <Loading />
      ) : (
        <TableWrap label="Access log">
          <table data-testid="access-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Role</th>
                <th scope="col">Why</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} class={`access-${e.kind}`}>
                  <td>
                    <time dateTime={e.at}>{time(e.at)}</time>
                  </td>
                  <td>
                    {WHO[e.kind] ?? e.kind} <span class="muted">({e.accountId})</span>
                  </td>
                  <td>{e.role}</td>
                  <td>
                    <strong>{e.purpose}</strong>
                  </td>
                  <td>{e.route}</td>
                </tr>
              ))}
              {entries.length === 0 && (
                <tr>
                  <td colSpan={5}>Nobody else has read this device’s data in your period.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {next && (
        <button
          type="button"
          class="secondary"
          onClick={() =>
            void api<{ entries: AccessEntry[]; nextCursor: string | null }>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/access-log${qs({ limit: 100, cursor: next })}`).then((r) => {
              setOlder((o) => [...o, ...r.entries]);
              setCursor(r.nextCursor ?? '');
            })
          }
        >
          Older entries
        </button>
      )}
    </section>
  );
}
