import { useState } from 'preact/hooks';
import { api, storeToken } from '../api/client';
import type { Me } from '../api/types';
import { ErrorNote } from '../components/status';
import { useAction } from '../hooks';

interface SignUp {
  account: Me;
  token: { token: string };
}

/** Paste a token, or become a (pseudonymous) owner. */
export function SignIn({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const [token, setToken] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<SignUp | null>(null);
  const signIn = useAction();
  const signUp = useAction();

  const useToken = (t: string) =>
    signIn.run(async () => {
      storeToken(t.trim());
      try {
        onSignedIn(await api<Me>('GET', '/v1/me'));
      } catch (e) {
        storeToken(null);
        throw e;
      }
    });

  return (
    <div class="signin">
      <h1>Welcome to Parley</h1>
      <p class="lead">See everything your appliance tells its manufacturer — and decide who else may look.</p>
      <div class="cards">
        <section class="card" aria-labelledby="signin-h">
          <h2 id="signin-h">Sign in with a token</h2>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void useToken(token);
            }}
          >
            <label for="token">Token</label>
            <input id="token" name="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} placeholder="prl_tok_… or the manufacturer token" />
            <p class="hint">Kept in this browser tab only (session storage) and sent as a bearer token to the API.</p>
            <button type="submit" disabled={signIn.busy}>
              Sign in
            </button>
            <ErrorNote error={signIn.error} />
          </form>
        </section>
        <section class="card" aria-labelledby="signup-h">
          <h2 id="signup-h">New here? Become an owner</h2>
          {created ? (
            <div>
              <p>Your account is ready. This is your token — the only key to your account. Copy it somewhere safe now; it is not shown again.</p>
              <p>
                <code class="token" data-testid="new-token">
                  {created.token.token}
                </code>
              </p>
              <button type="button" onClick={() => void useToken(created.token.token)}>
                Continue to my devices
              </button>
            </div>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void signUp.run(async () => {
                  const res = await api<SignUp>('POST', '/v1/accounts', { anonymous: true, body: { kind: 'owner', ...(name.trim() ? { displayName: name.trim() } : {}) } });
                  storeToken(res.token.token);
                  setCreated(res);
                });
              }}
            >
              <label for="display-name">Display name (optional)</label>
              <input id="display-name" name="displayName" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. Sam" />
              <p class="hint">No e-mail, no real name: an owner is a pseudonymous household.</p>
              <button type="submit" disabled={signUp.busy}>
                Create owner account
              </button>
              <ErrorNote error={signUp.error} />
            </form>
          )}
        </section>
      </div>
    </div>
  );
}
