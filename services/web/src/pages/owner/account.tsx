import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Me } from '../../api/types';
import { ErrorNote, Loading, TableWrap } from '../../components/status';
import { useAction, useLoad } from '../../hooks';
import { time } from '../../format';

interface TokenInfo {
  id: string;
  label: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

interface Member {
  id: string;
  role: string;
  displayName: string | null;
  createdAt: string;
}

const DAY = 86_400;

/** Your tokens (create, revoke) and your household (invite a co-owner or a viewer with their own token). */
export function Account({ me }: { me: Me }) {
  const tokens = useLoad(() => api<{ tokens: TokenInfo[] }>('GET', '/v1/tokens'), []);
  const household = useLoad(() => api<{ members: Member[] }>('GET', '/v1/household'), []);
  const create = useAction();
  const revoke = useAction();
  const invite = useAction();
  const [label, setLabel] = useState('');
  const [days, setDays] = useState('90');
  const [role, setRole] = useState<'co-owner' | 'viewer'>('viewer');
  const [name, setName] = useState('');
  const [shown, setShown] = useState<{ what: string; token: string } | null>(null);
  return (
    <>
      <h1>My account</h1>
      <p class="muted">
        Account <code>{me.id}</code>, household <code>{me.ownerId}</code>, role {me.role}. No e-mail, no name unless you gave one.
      </p>
      {shown && (
        <p role="status" class="card">
          {shown.what}: <code data-testid="new-account-token">{shown.token}</code> — shown once; copy it now.
        </p>
      )}
      <section class="card" aria-labelledby="tokens-h">
        <h2 id="tokens-h">Tokens</h2>
        <form
          class="row controls"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run(async () => {
              const t = await api<TokenInfo & { token: string }>('POST', '/v1/tokens', { body: { ...(label ? { label } : {}), ...(days ? { ttlSeconds: Number(days) * DAY } : {}) } });
              setShown({ what: `New token "${t.label ?? t.id}"`, token: t.token });
              setLabel('');
              tokens.reload();
            });
          }}
        >
          <div>
            <label for="token-label">Label</label>
            <input id="token-label" value={label} maxLength={80} onInput={(e) => setLabel(e.currentTarget.value)} placeholder="e.g. my phone" />
          </div>
          <div>
            <label for="token-days">Valid for (days, empty: no expiry)</label>
            <input id="token-days" inputMode="numeric" value={days} onInput={(e) => setDays(e.currentTarget.value.replace(/\D/g, ''))} />
          </div>
          <button type="submit" disabled={create.busy}>
            Create token
          </button>
        </form>
        <ErrorNote error={create.error ?? revoke.error} />
        {!tokens.data ? (
          <Loading />
        ) : (
          <TableWrap label="Tokens">
            <table data-testid="tokens">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {tokens.data.tokens.map((t) => (
                  <tr key={t.id}>
                    <td>{t.label ?? <span class="muted">{t.id}</span>}</td>
                    <td>{time(t.createdAt)}</td>
                    <td>{t.expiresAt ? time(t.expiresAt) : 'never'}</td>
                    <td>
                      {t.revokedAt ? (
                        `revoked ${time(t.revokedAt)}`
                      ) : (
                        <button
                          type="button"
                          class="secondary"
                          disabled={revoke.busy}
                          onClick={() =>
                            void revoke.run(async () => {
                              await api('DELETE', `/v1/tokens/${t.id}`);
                              tokens.reload();
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
      </section>
      <section class="card" aria-labelledby="household-h">
        <h2 id="household-h">Household</h2>
        <p>Members see your devices' conversations with their own token; co-owners can also share, approve commands and export. Only the owner invites, transfers and erases.</p>
        {me.role === 'owner' && (
          <form
            class="row controls"
            onSubmit={(e) => {
              e.preventDefault();
              void invite.run(async () => {
                const made = await api<{ account: Member; token: { token: string } }>('POST', '/v1/household/members', { body: { role, ...(name ? { displayName: name } : {}) } });
                setShown({ what: `Token for ${made.account.displayName ?? made.account.id} (${role})`, token: made.token.token });
                setName('');
                household.reload();
              });
            }}
          >
            <div>
              <label for="member-name">Name (optional)</label>
              <input id="member-name" value={name} maxLength={80} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
            <div>
              <label for="member-role">Role</label>
              <select id="member-role" value={role} onChange={(e) => setRole(e.currentTarget.value as 'co-owner' | 'viewer')}>
                <option value="viewer">viewer</option>
                <option value="co-owner">co-owner</option>
              </select>
            </div>
            <button type="submit" disabled={invite.busy}>
              Invite
            </button>
          </form>
        )}
        <ErrorNote error={invite.error ?? household.error} />
        {household.data && (
          <ul data-testid="household">
            {household.data.members.map((m) => (
              <li key={m.id}>
                {m.displayName ?? <span class="muted">{m.id}</span>} — {m.role}, since {time(m.createdAt)}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
