import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Command } from '../../api/types';
import { CommandList } from '../../components/command-list';
import { ErrorNote, Loading } from '../../components/status';
import { useAction, useInterval, useLoad } from '../../hooks';

const IN_FLIGHT = new Set(['approved', 'sent']);

function Policies({ deviceId, classes, canAct }: { deviceId: string; classes: string[]; canAct: boolean }) {
  const enc = encodeURIComponent(deviceId);
  const policies = useLoad(() => api<{ autoApprove: string[] }>('GET', `/v1/devices/${enc}/command-policies`), [deviceId]);
  const [cls, setCls] = useState('');
  const act = useAction();
  const put = (c: string, autoApprove: boolean) =>
    act.run(async () => {
      await api('PUT', `/v1/devices/${enc}/command-policies/${encodeURIComponent(c)}`, { body: { autoApprove } });
      policies.reload();
    });
  const auto = policies.data?.autoApprove ?? [];
  return (
    <section class="card" aria-labelledby="policies-h">
      <h3 id="policies-h">Standing approvals</h3>
      <p class="hint">Command classes you approve in advance are sent without asking you; they still appear in the conversation.</p>
      <ErrorNote error={policies.error ?? act.error} />
      <ul data-testid="policies">
        {auto.map((c) => (
          <li key={c}>
            <code>{c}</code>{' '}
            {canAct && (
              <button type="button" class="link" onClick={() => void put(c, false)} aria-label={`Stop approving ${c} in advance`}>
                withdraw
              </button>
            )}
          </li>
        ))}
        {auto.length === 0 && <li class="muted">None: every command waits for you.</li>}
      </ul>
      {canAct && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (cls.trim()) void put(cls.trim(), true).then(() => setCls(''));
          }}
        >
          <label for="policy-class">Approve a class in advance</label>
          <input id="policy-class" list="known-classes" pattern="[a-z][a-z0-9_.\-]{1,47}" required value={cls} onInput={(e) => setCls(e.currentTarget.value)} placeholder="eco-mode" />
          <datalist id="known-classes">
            {classes.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
          <button type="submit" disabled={act.busy}>
            Add standing approval
          </button>
        </form>
      )}
    </section>
  );
}

/** Pending commands to approve or decline, the history with results, and standing policies. */
export function CommandsTab({ deviceId, resultTick, canAct }: { deviceId: string; resultTick: number; canAct: boolean }) {
  const enc = encodeURIComponent(deviceId);
  const list = useLoad(() => api<{ commands: Command[] }>('GET', `/v1/devices/${enc}/commands`), [deviceId]);
  const act = useAction();
  const commands = list.data?.commands ?? [];
  const pending = commands.filter((c) => c.state === 'pending');
  // Until the device answers, look again every 2 s (a live result also triggers a reload).
  useInterval(list.reload, 2000, commands.some((c) => IN_FLIGHT.has(c.state)));
  useEffect(() => {
    if (resultTick) list.reload();
  }, [resultTick]);
  const decide = (c: Command, decision: 'approve' | 'decline') =>
    act.run(async () => {
      await api('POST', `/v1/commands/${c.id}/${decision}`);
      list.reload();
    });
  return (
    <>
      <section aria-labelledby="pending-h">
        <h2 id="pending-h">Waiting for your decision {pending.length > 0 && <span class="count">({pending.length})</span>}</h2>
        <ErrorNote error={list.error ?? act.error} />
        {!list.data ? (
          <Loading />
        ) : pending.length === 0 ? (
          <p class="muted">Nothing is waiting for you.</p>
        ) : (
          <ul class="pending" data-testid="pending-commands">
            {pending.map((c) => (
              <li key={c.id} class="card">
                <h3>
                  {c.class}: {String(c.body['name'] ?? c.kind)}
                </h3>
                <p>
                  <strong>Why:</strong> {c.reason}
                </p>
                <p class="muted">
                  Proposed by {c.proposedBy}; expires {new Date(c.expiresAt).toLocaleString()}
                </p>
                {canAct && (
                  <div class="buttons">
                    <button type="button" onClick={() => void decide(c, 'approve')} disabled={act.busy}>
                      Approve {c.class}
                    </button>
                    <button type="button" class="secondary" onClick={() => void decide(c, 'decline')} disabled={act.busy}>
                      Decline
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="history-h">
        <h2 id="history-h">All commands</h2>
        <CommandList commands={commands} />
      </section>
      <Policies deviceId={deviceId} classes={[...new Set(commands.map((c) => c.class))]} canAct={canAct} />
    </>
  );
}
