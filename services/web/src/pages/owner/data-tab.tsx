import { useState } from 'preact/hooks';
import { api, download, qs } from '../../api/client';
import type { Period, Receipt } from '../../api/types';
import { Dialog } from '../../components/confirm-dialog';
import { ErrorNote } from '../../components/status';
import { useAction } from '../../hooks';
import { time } from '../../format';
import { ReceiptView } from './receipt-view';
import { PeriodSelect } from '../../components/choosers';

/**
 * Pass the device on while you own it (a one-time transfer code for the next owner, or a release
 * that returns a fresh claim code); export a period, or erase it after typing the device id.
 */
export function DataTab({ deviceId, periods, onErased }: { deviceId: string; periods: Period[]; onErased(): void }) {
  const enc = encodeURIComponent(deviceId);
  const [periodId, setPeriodId] = useState(periods[periods.length - 1]?.id ?? '');
  const [confirmOpen, setConfirmOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const exp = useAction();
  const erase = useAction();
  const current = periods.find((p) => p.endedAt === null);
  return (
    <>
      {current && <PassItOn deviceId={deviceId} onReleased={onErased} />}
      <div class="row controls">
        <PeriodSelect id="period-select" periods={periods} value={periodId} onChange={setPeriodId} />
      </div>
      <section class="card" aria-labelledby="export-h">
        <h2 id="export-h">Export</h2>
        <p>Everything from this period: the conversation, samples, grants and receipts, the access log, inferences and commands.</p>
        <div class="buttons">
          {(['jsonl', 'csv'] as const).map((format) => (
            <button
              key={format}
              type="button"
              class="secondary"
              disabled={exp.busy}
              onClick={() => void exp.run(() => download(`/v1/devices/${enc}/export${qs({ format, period: periodId })}`, `${deviceId}-${periodId}.${format}`))}
            >
              Download {format === 'jsonl' ? 'JSON Lines' : 'CSV'}
            </button>
          ))}
        </div>
        <ErrorNote error={exp.error} />
      </section>
      <section class="card danger-zone" aria-labelledby="erase-h">
        <h2 id="erase-h">Erase</h2>
        <p>
          Erasing ends the period (if it is still running) and deletes its telemetry, conversation, grants, access log and your personal data everywhere. You get a deletion receipt. This cannot be undone.
        </p>
        <button type="button" class="danger" onClick={() => setConfirmOpen(true)}>
          Erase this period…
        </button>
        <ErrorNote error={erase.error} />
        {receipt && <ReceiptView receipt={receipt} />}
      </section>
      <Dialog title="Erase this period?" open={confirmOpen} onClose={() => setConfirmOpen(false)}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void erase.run(async () => {
              const res = await api<{ receipt: Receipt }>('POST', `/v1/devices/${enc}/erase`, { body: { confirm: typed.trim(), period: periodId } });
              setReceipt(res.receipt);
              setConfirmOpen(false);
              setTyped('');
              onErased();
            });
          }}
        >
          <p>
            Type the device id <code>{deviceId}</code> to confirm.
          </p>
          <label for="erase-confirm">Device id</label>
          <input id="erase-confirm" autocomplete="off" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          <div class="buttons">
            <button type="submit" class="danger" disabled={typed.trim() !== deviceId || erase.busy}>
              Erase permanently
            </button>
            <button type="button" class="secondary" onClick={() => setConfirmOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

/** Transfer (a code for the next owner) or release (ends your period now, returns a new claim code). */
function PassItOn({ deviceId, onReleased }: { deviceId: string; onReleased(): void }) {
  const enc = encodeURIComponent(deviceId);
  const transfer = useAction();
  const release = useAction();
  const [code, setCode] = useState<{ transferCode: string; expiresAt: string } | null>(null);
  const [claimCode, setClaimCode] = useState<string | null>(null);
  const [confirmOpen, setConfirmOpen] = useState(false);
  return (
    <section class="card" aria-labelledby="pass-h">
      <h2 id="pass-h">Pass it on</h2>
      <p>
        Selling or giving the appliance away? A transfer code lets the next owner claim it: when they use it your period ends, every grant you made ends with it, and they
        start with an empty history. Releasing ends your period now and gives you a new claim code to hand over.
      </p>
      <div class="buttons">
        <button type="button" class="secondary" disabled={transfer.busy} onClick={() => void transfer.run(async () => setCode(await api('POST', `/v1/devices/${enc}/transfer`, { body: {} })))}>
          Create a transfer code
        </button>
        <button type="button" class="danger" onClick={() => setConfirmOpen(true)}>
          Release…
        </button>
      </div>
      {code && (
        <p role="status">
          Transfer code <code data-testid="transfer-code">{code.transferCode}</code>, valid until {time(code.expiresAt)}. Give it to the next owner; it works once.
        </p>
      )}
      {claimCode && (
        <p role="status">
          Released. The next owner claims the device with <code data-testid="released-claim-code">{claimCode}</code>.
        </p>
      )}
      <ErrorNote error={transfer.error ?? release.error} />
      <Dialog title="Release this device?" open={confirmOpen} onClose={() => setConfirmOpen(false)}>
        <p>Your period ends now and all your grants end with it. Your data of the period stays yours to export or erase.</p>
        <div class="buttons">
          <button
            type="button"
            class="danger"
            disabled={release.busy}
            onClick={() =>
              void release.run(async () => {
                const res = await api<{ claimCode: string }>('POST', `/v1/devices/${enc}/release`);
                setClaimCode(res.claimCode);
                setConfirmOpen(false);
                onReleased();
              })
            }
          >
            Release
          </button>
          <button type="button" class="secondary" onClick={() => setConfirmOpen(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </section>
  );
}
