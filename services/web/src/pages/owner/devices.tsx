import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { MyDevice, Period } from '../../api/types';
import { Link, navigate } from '../../router';
import { ErrorNote, Loading, Empty, Badge } from '../../components/status';
import { useAction, useLoad } from '../../hooks';
import { time } from '../../format';

function ClaimForm({ onClaimed }: { onClaimed(deviceId: string): void }) {
  const [deviceId, setDeviceId] = useState('');
  const [code, setCode] = useState('');
  const [transfer, setTransfer] = useState(false);
  const claim = useAction();
  return (
    <form
      class="card"
      aria-labelledby="claim-h"
      onSubmit={(e) => {
        e.preventDefault();
        void claim.run(async () => {
          const id = deviceId.trim();
          await api<Period>('POST', '/v1/claims', { body: { deviceId: id, [transfer ? 'transferCode' : 'claimCode']: code.trim() } });
          onClaimed(id);
        });
      }}
    >
      <h2 id="claim-h">Claim a device</h2>
      <p class="hint">The device id and claim code are printed on the box (or the previous owner gave you a transfer code).</p>
      <div class="row">
        <div>
          <label for="claim-device">Device id</label>
          <input id="claim-device" required value={deviceId} onInput={(e) => setDeviceId(e.currentTarget.value)} placeholder="fridge-x1-…" autocomplete="off" />
        </div>
        <div>
          <label for="claim-code">{transfer ? 'Transfer code' : 'Claim code'}</label>
          <input id="claim-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} placeholder="XXXX-XXXX-XXXX" autocomplete="off" />
        </div>
      </div>
      <label class="check">
        <input type="checkbox" checked={transfer} onChange={(e) => setTransfer(e.currentTarget.checked)} /> I have a transfer code from the previous owner
      </label>
      <button type="submit" disabled={claim.busy}>
        Claim
      </button>
      <ErrorNote error={claim.error} />
    </form>
  );
}

/** The owner's household devices (current and past periods) and the claim form. */
export function OwnerDevices() {
  const list = useLoad(() => api<{ devices: MyDevice[] }>('GET', '/v1/my/devices'), []);
  return (
    <>
      <h1>My devices</h1>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : list.data && list.data.devices.length === 0 ? (
        <Empty>No devices yet: claim one with the code from its box.</Empty>
      ) : (
        <ul class="device-list" data-testid="my-devices">
          {list.data?.devices.map((d) => {
            const current = d.periods.find((p) => !p.endedAt);
            return (
              <li key={d.device.id} class="card">
                <h2>
                  <Link href={`/my/devices/${encodeURIComponent(d.device.id)}`}>{d.device.id}</Link>
                </h2>
                <p>
                  {d.device.model} · firmware {d.device.firmware} · {d.owned ? <Badge value="yours" tone="ok" /> : <Badge value="past owner" tone="muted" />}
                </p>
                <p class="muted">{current ? `Yours since ${time(current.startedAt)}` : `${d.periods.length} past period(s)`}</p>
              </li>
            );
          })}
        </ul>
      )}
      <ClaimForm onClaimed={(id) => navigate(`/my/devices/${encodeURIComponent(id)}`)} />
    </>
  );
}
