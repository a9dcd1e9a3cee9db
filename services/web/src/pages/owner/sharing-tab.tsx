import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Grant, Period, Receipt } from '../../api/types';
import { Badge, Empty, ErrorNote, Loading, TableWrap } from '../../components/status';
import { useAction, useLoad } from '../../hooks';
import { time } from '../../format';
import { ReceiptView } from './receipt-view';

interface Created {
  grant: Grant;
  receipt: Receipt;
  granteeToken?: { token: string };
}

function GrantForm({ deviceId, onCreated }: { deviceId: string; onCreated(c: Created): void }) {
  const enc = encodeURIComponent(deviceId);
  const metrics = useLoad(() => api<{ metrics: { metric: string }[] }>('GET', `/v1/devices/${enc}/metrics`), [deviceId]);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [events, setEvents] = useState('');
  const [dataFrom, setDataFrom] = useState('');
  const [dataTo, setDataTo] = useState('');
  const [days, setDays] = useState('30');
  const [purpose, setPurpose] = useState('');
  const save = useAction();
  return (
    <form
      class="card"
      aria-labelledby="grant-h"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run(async () => {
          const body = {
            grantee: { name: name.trim() },
            metrics: [...picked],
            events: events.split(',').map((s) => s.trim()).filter(Boolean),
            durationDays: Number(days),
            purpose: purpose.trim(),
            ...(dataFrom ? { dataFrom: new Date(dataFrom).toISOString() } : {}),
            ...(dataTo ? { dataTo: new Date(dataTo).toISOString() } : {}),
          };
          const res = await api<Created>('POST', `/v1/devices/${enc}/grants`, { body });
          setName('');
          setPurpose('');
          setPicked(new Set());
          onCreated(res);
        });
      }}
    >
      <h3 id="grant-h">Share with someone</h3>
      <label for="grantee-name">Who (app, installer, insurer…)</label>
      <input id="grantee-name" required maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <fieldset>
        <legend>Metrics they may read</legend>
        {metrics.data?.metrics.length === 0 && <p class="hint">No metrics reported yet.</p>}
        <div class="checks">
          {metrics.data?.metrics.map((m) => (
            <label key={m.metric} class="check">
              <input
                type="checkbox"
                name="metric"
                value={m.metric}
                checked={picked.has(m.metric)}
                onChange={(e) => {
                  const n = new Set(picked);
                  if (e.currentTarget.checked) n.add(m.metric);
                  else n.delete(m.metric);
                  setPicked(n);
                }}
              />{' '}
              {m.metric}
            </label>
          ))}
        </div>
      </fieldset>
      <label for="grant-events">Event codes (comma-separated, optional)</label>
      <input id="grant-events" value={events} onInput={(e) => setEvents(e.currentTarget.value)} placeholder="door_open, defrost_started" />
      <div class="row">
        <div>
          <label for="grant-from">Data from (optional)</label>
          <input id="grant-from" type="date" value={dataFrom} onInput={(e) => setDataFrom(e.currentTarget.value)} />
        </div>
        <div>
          <label for="grant-to">Data until (optional)</label>
          <input id="grant-to" type="date" value={dataTo} onInput={(e) => setDataTo(e.currentTarget.value)} />
        </div>
        <div>
          <label for="grant-days">Access ends after (days)</label>
          <input id="grant-days" type="number" min={1} max={732} required value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        </div>
      </div>
      <label for="grant-purpose">Purpose (shown in the receipt and the access log)</label>
      <input id="grant-purpose" required minLength={3} maxLength={200} value={purpose} onInput={(e) => setPurpose(e.currentTarget.value)} placeholder="energy saving tips" />
      <button type="submit" disabled={save.busy}>
        Grant access
      </button>
      <ErrorNote error={save.error} />
    </form>
  );
}

function FleetConsent({ deviceId, period, onChanged }: { deviceId: string; period: Period; onChanged(): void }) {
  const act = useAction();
  return (
    <section class="card" aria-labelledby="consent-h">
      <h3 id="consent-h">Fleet analytics</h3>
      <p>
        {period.fleetAnalytics
          ? 'Your device counts in the manufacturer’s anonymous fleet statistics (never in groups of fewer devices than the k-anonymity floor). Engineers may read it for warranty or quality reasons, always logged.'
          : 'Your device is left out of fleet statistics; engineers may read it only for a support case.'}
      </p>
      <button
        type="button"
        class="secondary"
        disabled={act.busy}
        onClick={() =>
          void act.run(async () => {
            await api('PUT', `/v1/devices/${encodeURIComponent(deviceId)}/consent`, { body: { fleetAnalytics: !period.fleetAnalytics } });
            onChanged();
          })
        }
      >
        {period.fleetAnalytics ? 'Opt out of fleet analytics' : 'Opt in to fleet analytics'}
      </button>
      <ErrorNote error={act.error} />
    </section>
  );
}

/** Grants with their status, revoke, receipts, and the form to grant access. */
export function SharingTab({ deviceId, period, onConsentChanged }: { deviceId: string; period: Period | null; onConsentChanged(): void }) {
  const enc = encodeURIComponent(deviceId);
  const grants = useLoad(() => api<{ grants: Grant[] }>('GET', `/v1/devices/${enc}/grants`), [deviceId]);
  const [created, setCreated] = useState<Created | null>(null);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const act = useAction();
  return (
    <>
      <section aria-labelledby="grants-h">
        <h2 id="grants-h">Who may read this device</h2>
        <ErrorNote error={grants.error ?? act.error} />
        {!grants.data ? (
          <Loading />
        ) : grants.data.grants.length === 0 ? (
          <Empty>Nobody but your household and the manufacturer (whose reads are in the access log).</Empty>
        ) : (
          <TableWrap label="Grants">
            <table data-testid="grants">
              <thead>
                <tr>
                  <th scope="col">Purpose</th>
                  <th scope="col">Grantee</th>
                  <th scope="col">Data</th>
                  <th scope="col">Until</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {grants.data.grants.map((g) => (
                  <tr key={g.id} data-grant={g.id}>
                    <td>{g.purpose}</td>
                    <td>
                      <code>{g.granteeId}</code>
                    </td>
                    <td>{[...g.metrics, ...g.events.map((e) => `event ${e}`)].join(', ') || 'nothing'}</td>
                    <td>{time(g.expiresAt)}</td>
                    <td>
                      <Badge value={g.status} />
                    </td>
                    <td class="actions">
                      <button type="button" class="link" onClick={() => void act.run(async () => setReceipt(await api<Receipt>('GET', `/v1/receipts/${g.receiptId}`)))}>
                        Receipt
                      </button>
                      {g.status === 'active' && period && (
                        <button
                          type="button"
                          class="danger"
                          aria-label={`Revoke access for ${g.purpose}`}
                          onClick={() =>
                            void act.run(async () => {
                              await api('DELETE', `/v1/grants/${g.id}`);
                              grants.reload();
                            })
                          }
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {receipt && <ReceiptView receipt={receipt} />}
      </section>
      {created && (
        <section class="card success" aria-live="polite" data-testid="grant-created">
          <h3>Access granted</h3>
          {created.granteeToken && (
            <p>
              Give this token to <strong>{created.grant.purpose}</strong>’s app (shown once): <code class="token">{created.granteeToken.token}</code>
            </p>
          )}
          <ReceiptView receipt={created.receipt} />
        </section>
      )}
      {period ? (
        <>
          <GrantForm
            deviceId={deviceId}
            onCreated={(c) => {
              setCreated(c);
              grants.reload();
            }}
          />
          <FleetConsent deviceId={deviceId} period={period} onChanged={onConsentChanged} />
        </>
      ) : (
        <p class="muted">Your period with this device has ended: you can no longer share it.</p>
      )}
    </>
  );
}
