/** The signed-in frame (navigation, zone picker, sign-out) and the page the route names. */
import { Fragment, type JSX } from 'preact';
import { useSignal } from '@preact/signals';
import { route } from './router.ts';
import { canEdit, chooseZone, session, signOutNow, zone, zoneId, zones } from './session.ts';
import { Loading } from './components/ui.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { Overview } from './pages/overview.tsx';
import { NotFound } from './pages/not-found.tsx';
import { CertificatesPage } from './pages/certificates.tsx';
import { CertificateDetail } from './pages/certificate-detail.tsx';
import { IssueCertificate } from './pages/issue-certificate.tsx';
import { ZonesPage } from './pages/zones.tsx';
import { AuthoritiesPage } from './pages/authorities.tsx';
import { RulesPage } from './pages/rules.tsx';
import { ApisPage } from './pages/apis.tsx';
import { KeysPage } from './pages/keys.tsx';
import { PoliciesPage } from './pages/policies.tsx';
import { AnalyticsPage } from './pages/analytics.tsx';
import { PortalAdminPage } from './portal/dashboard/portal-admin-page.tsx';

const NAVIGATION: readonly { path: string; label: string }[] = [
  { path: '', label: 'Overview' },
  { path: 'zones', label: 'Zones & hostnames' },
  { path: 'authorities', label: 'Certificate authorities' },
  { path: 'certificates', label: 'Client certificates' },
  { path: 'rules', label: 'Rules' },
  { path: 'apis', label: 'APIs' },
  { path: 'keys', label: 'Keys' },
  { path: 'policies', label: 'Policies' },
  { path: 'analytics', label: 'Analytics' },
  { path: 'portal', label: 'Developer portal' },
];

function currentPage(): JSX.Element {
  const [section = '', id, extra] = route.value.parts;
  switch (section) {
    case '':
      return <Overview />;
    case 'zones':
      return <ZonesPage />;
    case 'authorities':
      return <AuthoritiesPage />;
    case 'certificates':
      if (id === 'new') return <IssueCertificate />;
      if (id !== undefined && extra === undefined) return <CertificateDetail id={id} />;
      return <CertificatesPage />;
    case 'rules':
      return <RulesPage />;
    case 'apis':
      return <ApisPage />;
    case 'keys':
      return <KeysPage />;
    case 'policies':
      return <PoliciesPage />;
    case 'analytics':
      return <AnalyticsPage />;
    case 'portal':
      return <PortalAdminPage />;
    default:
      return <NotFound />;
  }
}

function ZonePicker(): JSX.Element {
  if (zones.value.length === 0) return <span class="zone-picker muted">No zone yet</span>;
  return (
    <label class="zone-picker">
      <span>Zone</span>
      <select value={zoneId.value} onChange={(event) => chooseZone(event.currentTarget.value)}>
        {zones.value.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Frame(): JSX.Element {
  const menuOpen = useSignal(false);
  const state = session.value;
  const token = state.kind === 'signed-in' ? state.session.token : undefined;
  const section = route.value.parts[0] ?? '';
  return (
    <div class="frame">
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top-bar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" />
          Portcullis
        </a>
        <button
          type="button"
          class="menu-button"
          aria-expanded={menuOpen.value}
          aria-controls="navigation"
          onClick={() => (menuOpen.value = !menuOpen.value)}
        >
          Menu
        </button>
        <ZonePicker />
        <div class="who">
          <span class="token-name" title={token?.name}>
            {token?.name} · {token?.permission === 'edit' ? 'can edit' : 'read only'}
          </span>
          <button type="button" onClick={() => void signOutNow()}>
            Sign out
          </button>
        </div>
      </header>
      <nav id="navigation" class={menuOpen.value ? 'side-nav open' : 'side-nav'} aria-label="Sections">
        <ul>
          {NAVIGATION.map((item) => (
            <li key={item.path}>
              <a
                href={`#/${item.path}`}
                aria-current={section === item.path ? 'page' : undefined}
                onClick={() => (menuOpen.value = false)}
              >
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        {!canEdit.value ? <p class="read-only-note">This token can read only: changes are not offered.</p> : null}
        {zone.value === undefined && zones.value.length > 0 ? (
          <Loading what="the zone" />
        ) : (
          // Keyed by route and zone: another page (or zone) starts from a fresh state.
          <Fragment key={`${route.value.parts.join('/')}@${zoneId.value}`}>{currentPage()}</Fragment>
        )}
      </main>
    </div>
  );
}

export function App(): JSX.Element {
  const state = session.value;
  if (state.kind === 'loading')
    return (
      <main id="main" class="sign-in">
        <Loading what="the dashboard" />
      </main>
    );
  if (state.kind === 'signed-out') return <SignIn notice={state.notice} />;
  return <Frame />;
}
