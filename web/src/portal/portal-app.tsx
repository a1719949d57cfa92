/** The portal's frame (navigation, who is signed in) and the page the route names. */
import type { JSX } from 'preact';
import { route } from '../router.ts';
import { Loading } from '../components/ui.tsx';
import { portalSession, portalSignOut } from './portal-session.ts';
import { AuthPage } from './pages/auth.tsx';
import { AppsPage } from './pages/apps.tsx';
import { AppDetail } from './pages/app-detail.tsx';
import { AccountPage } from './pages/account.tsx';
import { CatalogPage } from './pages/catalog.tsx';

function currentPage(): JSX.Element {
  const [section = '', id] = route.value.parts;
  if (section === 'apps' && id !== undefined) return <AppDetail id={id} />;
  if (section === 'products') return <CatalogPage />;
  if (section === 'account') return <AccountPage />;
  return <AppsPage />;
}

export function PortalApp(): JSX.Element {
  const state = portalSession.value;
  const [section = '', secret] = route.value.parts;
  // Links the operator hands out work signed in or not: they lead to their own forms.
  if (section === 'invitation' && secret !== undefined) return <AuthPage mode="invitation" secret={secret} />;
  if (section === 'reset' && secret !== undefined) return <AuthPage mode="reset" secret={secret} />;
  if (state.kind === 'loading') return <Loading what="the portal" />;
  if (state.kind === 'signed-out')
    return <AuthPage mode={section === 'signup' ? 'signup' : 'signin'} notice={state.notice} />;
  return (
    <div class="portal-frame">
      <header class="top-bar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" />
          Developer portal
        </a>
        <nav aria-label="Sections">
          <a href="#/">My apps</a>
          <a href="#/products">Products</a>
          <a href="#/account">Account</a>
        </nav>
        <div class="who">
          <span class="token-name">{state.session.developer.email}</span>
          <button type="button" onClick={() => void portalSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main class="portal-content" id="main" tabIndex={-1}>
        {currentPage()}
      </main>
    </div>
  );
}
