import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { Device } from '../../api/types';
import { ErrorNote, Loading, TableWrap } from '../../components/status';
import { Link, navigate } from '../../router';
import { useLoad } from '../../hooks';
import { time } from '../../format';

/** Provisioned devices (registry data: no telemetry, no justification needed). */
export function ConsoleDevices() {
  const [model, setModel] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState('');
  const list = useLoad((signal) => api<{ devices: Device[]; nextCursor: string | null }>('GET', `/v1/devices${qs({ model, limit: 100, cursor })}`, { signal }), [model, cursor]);
  return (
    <>
      <h1>Devices</h1>
      <form
        class="row controls"
        onSubmit={(e) => {
          e.preventDefault();
          if (open.trim()) navigate(`/console/devices/${encodeURIComponent(open.trim())}`);
        }}
      >
        <div>
          <label for="open-device">Open a device by id</label>
          <input id="open-device" value={open} onInput={(e) => setOpen(e.currentTarget.value)} />
        </div>
        <button type="submit">Open</button>
        <div>
          <label for="devices-model">Model filter</label>
          <input
            id="devices-model"
            value={model}
            onChange={(e) => {
              setCursor(null);
              setModel(e.currentTarget.value.trim());
            }}
            placeholder="fridge-x1"
          />
        </div>
      </form>
      <ErrorNote error={list.error} />
      {!list.data ? (
        <Loading />
      ) : (
        <TableWrap label="Devices">
          <table data-testid="devices">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Model</th>
                <th scope="col">Firmware</th>
                <th scope="col">Status</th>
                <th scope="col">Provisioned</th>
              </tr>
            </thead>
            <tbody>
              {list.data.devices.map((d) => (
                <tr key={d.id}>
                  <th scope="row">
                    <Link href={`/console/devices/${encodeURIComponent(d.id)}`}>{d.id}</Link>
                  </th>
                  <td>{d.model}</td>
                  <td>{d.firmware}</td>
                  <td>{d.status}</td>
                  <td>{time(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <div class="buttons">
        {cursor && (
          <button type="button" class="secondary" onClick={() => setCursor(null)}>
            First page
          </button>
        )}
        {list.data?.nextCursor && (
          <button type="button" class="secondary" onClick={() => setCursor(list.data!.nextCursor)}>
            Next page
          </button>
        )}
      </div>
    </>
  );
}
