// Signed out: first-admin setup (only while no user exists; needs the one-time setup token the server
// printed and wrote to <data_dir>/setup-token) and login (one generic error; a Retry-After countdown
// announced once, not every second).
import { useEffect, useState } from 'preact/hooks'
import { ApiError, errorText, post } from '../lib/api.ts'
import { ErrorNote, Field } from '../components.tsx'
import { refreshSession } from '../state.ts'

export const MIN_PASSWORD_LENGTH = 12

export function SetupPage() {
  const [token, setToken] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  async function submit(e: Event) {
    e.preventDefault()
    if (password.length < MIN_PASSWORD_LENGTH) return setError(`The password needs at least ${MIN_PASSWORD_LENGTH} characters.`)
    if (password !== confirm) return setError('The two passwords differ.')
    setBusy(true)
    setError(null)
    try {
      await post('/ui/api/setup', { setup_token: token.trim(), email: email.trim(), password })
      await refreshSession()
      location.hash = '#/keys'
    } catch (err) {
      if (err instanceof ApiError && err.code === 'setup_done') {
        await refreshSession().catch(() => undefined)
        setError('An administrator already exists: sign in instead.')
      } else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="setup-title" class="card auth">
      <h1 id="setup-title">Set up the first administrator</h1>
      <p>The Vault printed a one-time setup token when it started and wrote it to <code>&lt;data_dir&gt;/setup-token</code>. It works once.</p>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Setup token">
          <input name="setup_token" required autocomplete="off" spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </Field>
        <Field label="Email">
          <input name="email" type="email" required autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label={`Password (at least ${MIN_PASSWORD_LENGTH} characters)`}>
          <input name="password" type="password" required minLength={MIN_PASSWORD_LENGTH} autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <Field label="Password again">
          <input name="password_confirm" type="password" required autocomplete="new-password" value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create administrator'}</button>
      </form>
    </section>
  )
}

export function LoginPage() {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [waitUntil, setWaitUntil] = useState<number | null>(null)
  const [, tick] = useState(0)
  useEffect(() => {
    if (waitUntil === null) return undefined
    const t = setInterval(() => {
      if (Date.now() >= waitUntil) setWaitUntil(null)
      tick((n) => n + 1)
    }, 1000)
    return () => clearInterval(t)
  }, [waitUntil])
  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await post('/ui/api/login', { email: email.trim(), password })
      setPassword('')
      await refreshSession()
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        const s = err.retryAfterSeconds ?? 60
        setWaitUntil(Date.now() + s * 1000)
        setError(`Too many sign-in attempts. Try again in ${s} seconds.`)
      } else if (err instanceof ApiError && err.status === 401) setError('The email or password is wrong.')
      else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }
  const waitLeft = waitUntil === null ? 0 : Math.max(0, Math.ceil((waitUntil - Date.now()) / 1000))
  return (
    <section aria-labelledby="login-title" class="card auth">
      <h1 id="login-title">Sign in to Ledgix</h1>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Email">
          <input name="email" type="email" required autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input name="password" type="password" required autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <ErrorNote error={error} />
        {waitLeft > 0 && <p class="muted" aria-hidden="true">Retry in {waitLeft} s</p>}
        <button type="submit" class="primary" disabled={busy || waitLeft > 0}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </section>
  )
}
