// API keys of this tenant: list, create (the secret shown once), rotate with a grace period, revoke
// with confirmation (type the label for an admin key).
import { useEffect, useState } from 'preact/hooks'
import { del, errorText, get, post } from '../lib/api.ts'
import { ConfirmDialog, ErrorNote, fmtTime, Loading, PageHeading } from '../components.tsx'
import { useStore } from '../lib/store.ts'
import { session } from '../state.ts'

interface ApiKey {
  key_id: string
  name: string
  role: string
  prefix?: string
  created_at?: string
  last_used_at?: string | null
  expires_at?: string | null
  revoked_at?: string | null
  status?: string
}

const ROLES = ['agent', 'reviewer', 'viewer', 'admin'] as const

function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <section class="card secret" aria-labelledby="secret-title">
      <h2 id="secret-title">Copy the new key now</h2>
      <p><strong>It won't be shown again.</strong> Only its hash is stored.</p>
      <label class="field"><span>API key</span>
        <input readOnly value={secret} onFocus={(e) => e.currentTarget.select()} spellcheck={false} />
      </label>
      <p>Use it as a header: <code>X-Vault-API-Key: {secret.slice(0, 8)}…</code></p>
      <button type="button" onClick={onDone}>I have stored it</button>
    </section>
  )
}

export function KeysPage() {
  const s = useStore(session)
  const admin = s.user?.role === 'admin'
  const [keys, setKeys] = useState<ApiKey[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [role, setRole] = useState<string>('agent')
  const [days, setDays] = useState('')
  const [secret, setSecret] = useState<string | null>(null)
  const [revoking, setRevoking] = useState<ApiKey | null>(null)
  const [rotating, setRotating] = useState<ApiKey | null>(null)
  const [grace, setGrace] = useState('3600')
  const [busy, setBusy] = useState(false)

  const load = () => get<{ keys?: ApiKey[]; api_keys?: ApiKey[] }>('/api-keys').then((b) => setKeys(b.keys ?? b.api_keys ?? []), (err: unknown) => setError(errorText(err)))
  useEffect(() => void load(), [])

  async function create(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: Record<string, unknown> = { name: name.trim(), role }
      if (days.trim() !== '') body['expires_in_days'] = Number(days)
      const created = await post<{ api_key?: string; key?: string; secret?: string }>('/api-keys', body)
      setSecret(created.api_key ?? created.secret ?? created.key ?? '')
      setName('')
      await load()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }
  async function revoke() {
    if (revoking === null) return
    setBusy(true)
    try {
      await del(`/api-keys/${encodeURIComponent(revoking.key_id)}`)
      setRevoking(null)
      await load()
    } catch (err) {
      setError(errorText(err))
      setRevoking(null)
    } finally {
      setBusy(false)
    }
  }
  async function rotate() {
    if (rotating === null) return
    setBusy(true)
    try {
      const r = await post<{ successor?: { api_key?: string }; api_key?: string }>(`/api-keys/${encodeURIComponent(rotating.key_id)}/rotate`, { grace_seconds: Number(grace) })
      setSecret(r.successor?.api_key ?? r.api_key ?? '')
      setRotating(null)
      await load()
    } catch (err) {
      setError(errorText(err))
      setRotating(null)
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <PageHeading title="API keys" />
      <ErrorNote error={error} />
      {secret !== null && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      {admin && (
        <form class="card inline-form" onSubmit={(e) => void create(e)} aria-labelledby="create-key-title">
          <h2 id="create-key-title">Create a key</h2>
          <label class="field"><span>Label</span><input required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
          <label class="field"><span>Role</span>
            <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select>
          </label>
          <label class="field"><span>Expires in days (optional)</span><input type="number" min={1} inputMode="numeric" value={days} onInput={(e) => setDays(e.currentTarget.value)} /></label>
          <button type="submit" class="primary" disabled={busy}>Create key</button>
        </form>
      )}
      {keys === null && error === null && <Loading what="keys" />}
      {keys !== null && (
        <table>
          <thead><tr><th scope="col">Label</th><th scope="col">Role</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th>{admin && <th scope="col">Actions</th>}</tr></thead>
          <tbody>
            {keys.map((k) => {
              const status = k.status ?? (k.revoked_at ? 'revoked' : 'active')
              return (
                <tr key={k.key_id}>
                  <td>{k.name}</td><td>{k.role}</td><td><code>{k.prefix ?? k.key_id}</code></td><td>{fmtTime(k.created_at)}</td>
                  <td>{fmtTime(k.last_used_at)}</td><td>{fmtTime(k.expires_at)}</td><td>{status}</td>
                  {admin && (
                    <td>{status === 'active' && (
                      <>
                        <button type="button" onClick={() => setRotating(k)}>Rotate…</button>{' '}
                        <button type="button" class="danger" onClick={() => setRevoking(k)}>Revoke…</button>
                      </>
                    )}</td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <ConfirmDialog open={revoking !== null} title={`Revoke “${revoking?.name ?? ''}”?`} confirmLabel="Revoke key" danger busy={busy}
        {...(revoking?.role === 'admin' ? { typeToConfirm: revoking.name } : {})}
        onConfirm={() => void revoke()} onCancel={() => setRevoking(null)}>
        <p>Every client using this key is refused from now on. This cannot be undone.</p>
      </ConfirmDialog>
      <ConfirmDialog open={rotating !== null} title={`Rotate “${rotating?.name ?? ''}”?`} confirmLabel="Create successor" busy={busy}
        onConfirm={() => void rotate()} onCancel={() => setRotating(null)}>
        <p>A successor key is created and shown once; the old key keeps working for the grace period.</p>
        <label class="field"><span>Grace period (seconds)</span><input type="number" min={0} value={grace} onInput={(e) => setGrace(e.currentTarget.value)} /></label>
      </ConfirmDialog>
    </>
  )
}
