// Account: change password, active sessions (sign out the others), keyboard-shortcut toggle.
import { useEffect, useState } from 'preact/hooks'
import { get, post } from '../lib/api.ts'
import { useStore } from '../lib/store.ts'
import { ErrorNote, Field, fmtTime, OkNote, PageHeading, useAction } from '../components.tsx'
import { session, shortcutsEnabled } from '../state.ts'

interface SessionRow {
  session_id: string
  created_at: string
  last_seen_at: string
  ip: string
  user_agent: string
  current: boolean
}

export function AccountPage() {
  const shortcuts = useStore(shortcutsEnabled)
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const me = useStore(session).user
  const [sessions, setSessions] = useState<SessionRow[] | null>(null)
  const act = useAction()
  const loadSessions = () => get<{ sessions: SessionRow[] }>('/ui/api/sessions').then((b) => setSessions(b.sessions), act.fail)
  useEffect(() => void loadSessions(), [])
  const change = act.submit(async () => {
    await post('/ui/api/password', { current_password: current, new_password: next })
    setCurrent('')
    setNext('')
  }, 'Password changed.')
  const revokeOthers = () => act.run(async () => {
    await post('/ui/api/sessions/revoke-others')
    await loadSessions()
  }, 'Signed out every other session.')
  return (
    <>
      <PageHeading title="Account" />
      <ErrorNote error={act.error} />
      <OkNote text={act.ok} />
      <section class="card" aria-labelledby="kbd-title">
        <h2 id="kbd-title">Keyboard shortcuts</h2>
        <label class="choice"><input type="checkbox" checked={shortcuts} onChange={(e) => shortcutsEnabled.set(e.currentTarget.checked)} /> Single-key shortcuts in the review queue (j, k, a, d, ?)</label>
      </section>
      <form class="card" onSubmit={change} aria-labelledby="pw-title">
        <h2 id="pw-title">Change password</h2>
        <input type="email" name="username" autocomplete="username" value={me?.email ?? ''} readOnly hidden />
        <Field label="Current password"><input type="password" required autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} /></Field>
        <Field label="New password (12+ characters)"><input type="password" required minLength={12} autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} /></Field>
        <button type="submit">Change password</button>
      </form>
      <section class="card" aria-labelledby="sess-title">
        <h2 id="sess-title">Sessions</h2>
        {sessions !== null && (
          <table>
            <thead><tr><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Address</th><th scope="col">Browser</th><th scope="col">This one</th></tr></thead>
            <tbody>{sessions.map((x) => <tr key={x.session_id}><td>{fmtTime(x.created_at)}</td><td>{fmtTime(x.last_seen_at)}</td><td>{x.ip}</td><td>{x.user_agent}</td><td>{x.current ? 'yes' : ''}</td></tr>)}</tbody>
          </table>
        )}
        <button type="button" onClick={() => void revokeOthers()}>Sign out all other sessions</button>
      </section>
    </>
  )
}
