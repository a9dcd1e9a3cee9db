import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, storedToken, storeToken } from './api/client';
import type { Me } from './api/types';
import { Link, match, navigate, useLocation } from './router';
import { SessionContext } from './session';
import { Loading } from './components/status';
import { SignIn } from './pages/sign-in';
import { OwnerDevices } from './pages/owner/devices';
import { OwnerDevice } from './pages/owner/device';
import { Account } from './pages/owner/account';
import { SharedWithMe } from './pages/grantee/shared';
import { FleetOverview } from './pages/console/overview';
import { FirmwarePage } from './pages/console/firmware';
import { OutliersPage } from './pages/console/outliers';
import { ConsoleDevices } from './pages/console/devices';
import { ConsoleDevice } from './pages/console/device';
import { DeadLettersPage } from './pages/console/dead-letters';
import { IdeasPage } from './pages/console/ideas';
import { FeedbackPage } from './pages/console/feedback';

const home = (me: Me) => (me.kind === 'manufacturer' ? '/console' : me.kind === 'owner' ? '/my' : '/shared');

function Nav({ me, path }: { me: Me; path: string }) {
  const links =
    me.kind === 'manufacturer'
      ? [
          ['/console', 'Fleet'],
          ['/console/firmware', 'Firmware'],
          ['/console/outliers', 'Outliers'],
          ['/console/devices', 'Devices'],
          ['/console/ideas', 'Ideas'],
          ['/console/feedback', 'Feedback'],
          ['/console/dead-letters', 'Dead letters'],
        ]
      : me.kind === 'owner'
        ? [
            ['/my', 'My devices'],
            ['/my/account', 'Account'],
          ]
        : [['/shared', 'Shared with me']];
  const current = (href: string) => (href === '/console' || href === '/my' ? path === href : path.startsWith(href));
  return (
    <nav aria-label="Main">
      <ul>
        {links.map(([href, label]) => (
          <li key={href}>
            <Link href={href!} aria-current={current(href!) ? 'page' : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Routes({ me, path }: { me: Me; path: string }) {
  let m: Record<string, string> | null;
  if (me.kind === 'owner') {
    if (path === '/my') return <OwnerDevices />;
    if (path === '/my/account') return <Account me={me} />;
    if ((m = match('/my/devices/:id/:tab?', path))) return <OwnerDevice id={m['id']!} tab={m['tab'] ?? 'conversation'} />;
  }
  if (me.kind === 'manufacturer') {
    if (path === '/console') return <FleetOverview />;
    if (path === '/console/firmware') return <FirmwarePage />;
    if (path === '/console/outliers') return <OutliersPage />;
    if (path === '/console/devices') return <ConsoleDevices />;
    if ((m = match('/console/devices/:id', path))) return <ConsoleDevice id={m['id']!} />;
    if (path === '/console/dead-letters') return <DeadLettersPage />;
    if (path === '/console/ideas') return <IdeasPage />;
    if (path === '/console/feedback') return <FeedbackPage />;
  }
  if (me.kind === 'grantee' && (path === '/shared' || path === '/')) return <SharedWithMe />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href={home(me)}>Go to the start page</Link>.
      </p>
    </section>
  );
}

/** The single-page app: sign-in gate, header, routes. */
export function App() {
  const { path } = useLocation();
  const [me, setMe] = useState<Me | null | undefined>(storedToken() ? undefined : null);

  useEffect(() => {
    if (me !== undefined) return;
    api<Me>('GET', '/v1/me').then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) storeToken(null);
      setMe(null);
    });
  }, [me]);

  useEffect(() => {
    if (me === null && path !== '/sign-in') navigate(`/sign-in`, true);
    if (me && (path === '/' || path === '/sign-in')) navigate(home(me), true);
  }, [me, path]);

  const signOut = () => {
    storeToken(null);
    setMe(null);
    navigate('/sign-in');
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href={me ? home(me) : '/sign-in'} class="brand">
          Parley
        </Link>
        {me && <Nav me={me} path={path} />}
        {me && (
          <div class="who">
            <span>
              {me.displayName ?? me.id} <span class="muted">({me.kind} · {me.role})</span>
            </span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {me === undefined ? (
          <Loading what="Checking your token" />
        ) : me === null ? (
          <SignIn onSignedIn={(m) => setMe(m)} />
        ) : (
          <SessionContext.Provider value={{ me, signOut }}>
            <Routes me={me} path={path} />
          </SessionContext.Provider>
        )}
      </main>
    </>
  );
}
