import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { DeadLetter } from '../../api/types';
import { ErrorNote, Loading, TableWrap } from '../../components/status';
import { useLoad } from '../../hooks';
import { time } from '../../format';

function hex(b64: string, max = 64): string {
  const bin = atob(b64);
  let out = '';
  for (let i = 0; i < Math.min(bin.length, max); i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0') + (i % 16 === 15 ? '\n' : ' ');
  return out.trim() + (bin.length > max ? ' …' : '');
}

/** Payloads the platform rejected, newest first, with their reason and first bytes. */
export function DeadLettersPage() {
  const [form, setForm] = useState({ deviceId: '', reason: '' });
  const [query, setQuery] = useState(form);
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const cursor = pages[pages.length - 1] ?? null;
  const list = useLoad((signal) => api<{ items: DeadLetter[]; nextCursor: string | null }>('GET', `/v1/dead-letters${qs({ ...query, limit: 50, cursor })}`, { signal }), [query, cursor]);
  return (
    <>
      <h1>Dead letters</h1>
      <form
        class="row controls"
        onSubmit={(e) => {
          e.preventDefault();
          setPages([null]);
          setQuery({ deviceId: form.deviceId.trim(), reason: form.reason.trim() });
        }}
      >
        <div>
          <label for="dl-device">Device id</label>
          <input id="dl-device" value={form.deviceId} onInput={(e) => setForm({ ...form, deviceId: e.currentTarget.value })} placeholder="any" />
        </div>
        <div>
          <label for="dl-reason">Reason</label>
          <input id="dl-reason" value={form.reason} onInput={(e) => setForm({ ...form, reason: e.currentTarget.value })} placeholder="any, e.g. undecodable" />
        </div>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={list.error} />
      {!list.data ? (
        <Loading />
      ) : (
        <TableWrap label="Dead letters">
          <table data-testid="dead-letters">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Device</th>
                <th scope="col">Reason</th>
                <th scope="col">Detail</th>
                <th scope="col">Payload</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((d) => (
                <tr key={d.id}>
                  <td>{time(d.receivedAt)}</td>
                  <td>{d.deviceId}</td>
                  <td>
                    <code>{d.reason}</code>
                  </td>
                  <td>{d.detail}</td>
                  <td>
                    <details>
                      <summary>
                        {d.rawSize} bytes{d.rawTruncated ? ' (first 4 KiB kept)' : ''}
                      </summary>
                      <pre>{hex(d.rawBase64)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
              {list.data.items.length === 0 && (
                <tr>
                  <td colSpan={5}>No rejected payloads.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      <div class="buttons">
        {pages.length > 1 && (
          <button type="button" class="secondary" onClick={() => setPages(pages.slice(0, -1))}>
            Newer
          </button>
        )}
        {list.data?.nextCursor && (
          <button type="button" class="secondary" onClick={() => setPages([...pages, list.data!.nextCursor])}>
            Older
          </button>
        )}
      </div>
    </>
  );
}
