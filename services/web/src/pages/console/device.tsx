import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Command, Device, Inference, Period } from '../../api/types';
import { ConversationView } from '../../components/conversation-view';
import { CommandList } from '../../components/command-list';
import { JustificationPrompt } from '../../components/justification';
import { ErrorNote, Loading } from '../../components/status';
import { Link } from '../../router';
import { useAction, useInterval, useLoad } from '../../hooks';
import { time } from '../../format';
import { InferenceList } from '../owner/inferences';
import { useSession } from '../../session';

function ProposeCommand({ deviceId, onProposed }: { deviceId: string; onProposed(): void }) {
  const [f, setF] = useState({ class: 'defrost', kind: 'command', name: 'defrost', reason: '', emergency: false });
  const act = useAction();
  return (
    <form
      class="card"
      aria-labelledby="propose-h"
      onSubmit={(e) => {
        e.preventDefault();
        void act.run(async () => {
          const body: Record<string, unknown> = { class: f.class.trim(), kind: f.kind, reason: f.reason.trim(), emergency: f.emergency };
          if (f.kind === 'command') body['name'] = f.name.trim();
          await api<Command>('POST', `/v1/devices/${encodeURIComponent(deviceId)}/commands`, { body });
          setF({ ...f, reason: '' });
          onProposed();
        });
      }}
    >
      <h3 id="propose-h">Propose a command</h3>
      <p class="hint">The owner approves or declines it, unless a standing policy covers its class (or it is a configured emergency class).</p>
      <div class="row">
        <div>
          <label for="cmd-class">Class</label>
          <input id="cmd-class" required pattern="[a-z][a-z0-9_.\-]{1,47}" value={f.class} onInput={(e) => setF({ ...f, class: e.currentTarget.value })} />
        </div>
        <div>
          <label for="cmd-kind">Kind</label>
          <select id="cmd-kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value })}>
            <option value="command">command</option>
            <option value="config">config</option>
          </select>
        </div>
        {f.kind === 'command' && (
          <div>
            <label for="cmd-name">Command name</label>
            <input id="cmd-name" required value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
          </div>
        )}
      </div>
      <label for="cmd-reason">Reason (shown to the owner)</label>
      <input id="cmd-reason" required minLength={3} maxLength={500} value={f.reason} onInput={(e) => setF({ ...f, reason: e.currentTarget.value })} />
      <label class="check">
        <input type="checkbox" checked={f.emergency} onChange={(e) => setF({ ...f, emergency: e.currentTarget.checked })} /> Emergency (only configured classes)
      </label>
      <button type="submit" disabled={act.busy}>
        Propose
      </button>
      <ErrorNote error={act.error} />
    </form>
  );
}

function RecordInference({ deviceId, onRecorded }: { deviceId: string; onRecorded(): void }) {
  const [f, setF] = useState({ code: '', title: '', detail: '', evidenceKind: 'metric', evidenceRef: '' });
  const act = useAction();
  return (
    <details>
      <summary>Record an inference</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act.run(async () => {
            const evidence = f.evidenceRef.trim() ? [{ kind: f.evidenceKind, ref: f.evidenceRef.trim() }] : [];
            await api('POST', `/v1/devices/${encodeURIComponent(deviceId)}/inferences`, { body: { code: f.code.trim(), title: f.title.trim(), detail: f.detail.trim(), evidence } });
            onRecorded();
          });
        }}
      >
        <label for="inf-code">Code</label>
        <input id="inf-code" required value={f.code} onInput={(e) => setF({ ...f, code: e.currentTarget.value })} placeholder="battery_degraded" />
        <label for="inf-title">Title</label>
        <input id="inf-title" required value={f.title} onInput={(e) => setF({ ...f, title: e.currentTarget.value })} />
        <label for="inf-detail">Detail</label>
        <textarea id="inf-detail" required rows={2} value={f.detail} onInput={(e) => setF({ ...f, detail: e.currentTarget.value })} />
        <div class="row">
          <div>
            <label for="inf-ev-kind">Evidence kind</label>
            <select id="inf-ev-kind" value={f.evidenceKind} onChange={(e) => setF({ ...f, evidenceKind: e.currentTarget.value })}>
              {['metric', 'event', 'uplink', 'url'].map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="inf-ev-ref">Evidence reference</label>
            <input id="inf-ev-ref" value={f.evidenceRef} onInput={(e) => setF({ ...f, evidenceRef: e.currentTarget.value })} />
          </div>
        </div>
        <button type="submit" disabled={act.busy}>
          Record
        </button>
        <ErrorNote error={act.error} />
      </form>
    </details>
  );
}

function DeviceBody({ id, why }: { id: string; why: string }) {
  const enc = encodeURIComponent(id);
  const j = { justification: why };
  const device = useLoad(() => api<Device>('GET', `/v1/devices/${enc}`), [id]);
  const ownership = useLoad(() => api<{ periods: Period[] }>('GET', `/v1/devices/${enc}/ownership`, j), [id, why]);
  const inferences = useLoad(() => api<{ inferences: Inference[] }>('GET', `/v1/devices/${enc}/inferences`, j), [id, why]);
  const commands = useLoad(() => api<{ commands: Command[] }>('GET', `/v1/devices/${enc}/commands`, j), [id, why]);
  useInterval(commands.reload, 3000, (commands.data?.commands ?? []).some((c) => ['pending', 'approved', 'sent'].includes(c.state)));
  const current = ownership.data?.periods.find((p) => !p.endedAt);
  const { me } = useSession();
  return (
    <>
      <ErrorNote error={device.error ?? ownership.error} />
      <p class="muted" data-testid="device-info">
        {device.data ? `${device.data.model} · firmware ${device.data.firmware} · ${device.data.status}` : '…'} ·{' '}
        {current ? `owned since ${time(current.startedAt)} (${current.fleetAnalytics ? 'in fleet analytics' : 'opted out of fleet analytics'})` : 'no current owner'} · reading as <strong>{why}</strong>
      </p>
      <ConversationView deviceId={id} justification={why} live={true} notes={{ side: 'manufacturer', accountId: me.id, canWrite: me.role !== 'viewer' }} />
      <section aria-labelledby="c-inf-h">
        <h2 id="c-inf-h">Inferences and the owner’s disputes</h2>
        <ErrorNote error={inferences.error} />
        {inferences.data ? <InferenceList inferences={inferences.data.inferences} base={`/console/devices/${enc}`} canAnswer={true} side="manufacturer" onChanged={inferences.reload} /> : <Loading />}
        <RecordInference deviceId={id} onRecorded={inferences.reload} />
      </section>
      <section aria-labelledby="c-cmd-h">
        <h2 id="c-cmd-h">Command proposals</h2>
        <ErrorNote error={commands.error} />
        {commands.data ? <CommandList commands={commands.data.commands} /> : <Loading />}
        <ProposeCommand deviceId={id} onProposed={commands.reload} />
      </section>
    </>
  );
}

/** An engineer's view of one device: asks why first, then shows what the owner sees. */
export function ConsoleDevice({ id }: { id: string }) {
  const [why, setWhy] = useState<string | null>(null);
  return (
    <>
      <p class="crumbs">
        <Link href="/console/devices">Devices</Link> /
      </p>
      <h1>{id}</h1>
      {why ? (
        <>
          <button type="button" class="link" onClick={() => setWhy(null)}>
            Change the reason
          </button>
          <DeviceBody id={id} why={why} />
        </>
      ) : (
        <JustificationPrompt deviceId={id} onJustified={setWhy} />
      )}
    </>
  );
}
