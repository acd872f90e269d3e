// The Ledgix dashboard: boot, the signed-out pages (setup, login), and the signed-in shell with its
// hash-routed pages. Every page calls the same JSON endpoints API-key clients use.
import './styles.css'
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { post, setUnauthorizedHandler } from './lib/api.ts'
import { hrefOf, parseHash } from './lib/router.ts'
import type { Page, Route } from './lib/router.ts'
import { useStore } from './lib/store.ts'
import { liveMessage, refreshSession, session } from './state.ts'
import { LoginPage, SetupPage } from './pages/login.tsx'
import { OverviewPage } from './pages/overview.tsx'
import { QueuePage } from './pages/queue.tsx'
import { HistoryPage } from './pages/history.tsx'
import { KeysPage } from './pages/keys.tsx'
import { PoliciesPage } from './pages/policies.tsx'
import { SettingsPage } from './pages/settings.tsx'
import { LedgerPage } from './pages/ledger.tsx'
import { UsersPage } from './pages/users.tsx'
import { AccountPage } from './pages/account.tsx'
import { DriftPage } from './pages/drift.tsx'
import { ReportsPage } from './pages/reports.tsx'

const NAV: readonly { page: Page; label: string; adminOnly?: boolean }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'reviews', label: 'Review queue' },
  { page: 'history', label: 'History' },
  { page: 'keys', label: 'API keys' },
  { page: 'policies', label: 'Policies' },
  { page: 'settings', label: 'Settings' },
  { page: 'ledger', label: 'Ledger' },
  { page: 'drift', label: 'Agents' },
  { page: 'reports', label: 'Reports' },
  { page: 'users', label: 'Users', adminOnly: true },
  { page: 'account', label: 'Account' },
]

function useRoute(): Route {
  const [route, setRoute] = useState(parseHash(location.hash))
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash))
    addEventListener('hashchange', on)
    // The hash may have changed between the first render and this effect (a redirect after setup).
    on()
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

function LiveRegion() {
  const msg = useStore(liveMessage)
  return <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" key={msg.n}>{msg.text}</div>
}

function InsecureBanner() {
  return <p class="banner-danger" role="note">This dashboard is served over plain HTTP on a non-loopback host (allow_insecure_http): passwords and session cookies cross the network unencrypted.</p>
}

function CurrentPage({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />
    case 'reviews':
      return <QueuePage selectedId={route.id} />
    case 'history':
      return <HistoryPage />
    case 'keys':
      return <KeysPage />
    case 'policies':
      return <PoliciesPage />
    case 'settings':
      return <SettingsPage />
    case 'ledger':
      return <LedgerPage requestId={route.id} />
    case 'users':
      return <UsersPage />
    case 'account':
      return <AccountPage />
    case 'drift':
      return <DriftPage agentId={route.id} />
    case 'reports':
      return <ReportsPage reportId={route.id} />
    default: {
      const never: never = route.page
      return never
    }
  }
}

function Shell() {
  const route = useRoute()
  const s = useStore(session)
  const user = s.user!
  async function signOut() {
    try {
      await post('/ui/api/logout')
    } finally {
      await refreshSession().catch(() => session.set({ ...session.get(), user: null }))
      location.hash = ''
    }
  }
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Ledgix</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.adminOnly !== true || user.role === 'admin').map((n) => (
              <li key={n.page}>
                <a href={hrefOf(n.page)} aria-current={route.page === n.page ? 'page' : undefined}>{n.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {user.email} <span class="role">({user.role})</span>{' '}
          <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
        </span>
      </header>
      {s.insecureHttp && <InsecureBanner />}
      <main id="main" tabIndex={-1}>
        <CurrentPage route={route} />
      </main>
    </>
  )
}

function App() {
  const s = useStore(session)
  useEffect(() => setUnauthorizedHandler(() => void refreshSession().catch(() => session.set({ ...session.get(), user: null }))), [])
  let body
  if (s.user !== null) body = <Shell />
  else body = <main id="main" class="narrow">{s.setupRequired ? <SetupPage /> : <LoginPage />}</main>
  return (
    <>
      {s.user === null && s.insecureHttp && <InsecureBanner />}
      {body}
      <LiveRegion />
    </>
  )
}

const root = document.getElementById('app')
if (root !== null) {
  root.textContent = ''
  render(<App />, root)
}
