// API keys of this tenant: list, create (the secret shown once), rotate with a grace period, revoke
// with confirmation (type the label for an admin key).
import { useEffect, useState } from 'preact/hooks'
import { del, get, post } from '../lib/api.ts'
import { ConfirmDialog, ErrorNote, Field, fmtTime, Loading, PageHeading, ShownOnce, useAction, useConfirmedAction } from '../components.tsx'
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

export function KeysPage() {
  const s = useStore(session)
  const admin = s.user?.role === 'admin'
  const [keys, setKeys] = useState<ApiKey[] | null>(null)
  const [name, setName] = useState('')
  const [role, setRole] = useState<string>('agent')
  const [days, setDays] = useState('')
  const [secret, setSecret] = useState<string | null>(null)
  const [grace, setGrace] = useState('3600')
  const act = useAction()

  const load = () => get<{ keys?: ApiKey[]; api_keys?: ApiKey[] }>('/api-keys').then((b) => setKeys(b.keys ?? b.api_keys ?? []), act.fail)
  useEffect(() => void load(), [])

  const create = act.submit(async () => {
    const body: Record<string, unknown> = { name: name.trim(), role }
    if (days.trim() !== '') body['expires_in_days'] = Number(days)
    const created = await post<{ api_key?: string; key?: string; secret?: string }>('/api-keys', body)
    setSecret(created.api_key ?? created.secret ?? created.key ?? '')
    setName('')
    await load()
  })
  const revoking = useConfirmedAction<ApiKey>(act, async (k) => {
    await del(`/api-keys/${encodeURIComponent(k.key_id)}`)
    await load()
  })
  const rotating = useConfirmedAction<ApiKey>(act, async (k) => {
    const r = await post<{ successor?: { api_key?: string }; api_key?: string }>(`/api-keys/${encodeURIComponent(k.key_id)}/rotate`, { grace_seconds: Number(grace) })
    setSecret(r.successor?.api_key ?? r.api_key ?? '')
    await load()
  })

  return (
    <>
      <PageHeading title="API keys" />
      <ErrorNote error={act.error} />
      {secret !== null && (
        <ShownOnce title="Copy the new key now" warning="Only its hash is stored." label="API key" value={secret} doneLabel="I have stored it" onDone={() => setSecret(null)}>
          <p>Use it as a header: <code>X-Vault-API-Key: {secret.slice(0, 8)}…</code></p>
        </ShownOnce>
      )}
      {admin && (
        <form class="card inline-form" onSubmit={create} aria-labelledby="create-key-title">
          <h2 id="create-key-title">Create a key</h2>
          <Field label="Label"><input required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} /></Field>
          <Field label="Role">
            <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select>
          </Field>
          <Field label="Expires in days (optional)"><input type="number" min={1} inputMode="numeric" value={days} onInput={(e) => setDays(e.currentTarget.value)} /></Field>
          <button type="submit" class="primary" disabled={act.busy}>Create key</button>
        </form>
      )}
      {keys === null && act.error === null && <Loading what="keys" />}
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
                        <button type="button" onClick={() => rotating.ask(k)}>Rotate…</button>{' '}
                        <button type="button" class="danger" onClick={() => revoking.ask(k)}>Revoke…</button>
                      </>
                    )}</td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <ConfirmDialog {...revoking.dialog} title={`Revoke “${revoking.target?.name ?? ''}”?`} confirmLabel="Revoke key" danger
        {...(revoking.target?.role === 'admin' ? { typeToConfirm: revoking.target.name } : {})}>
        <p>Every client using this key is refused from now on. This cannot be undone.</p>
      </ConfirmDialog>
      <ConfirmDialog {...rotating.dialog} title={`Rotate “${rotating.target?.name ?? ''}”?`} confirmLabel="Create successor">
        <p>A successor key is created and shown once; the old key keeps working for the grace period.</p>
        <Field label="Grace period (seconds)"><input type="number" min={0} value={grace} onInput={(e) => setGrace(e.currentTarget.value)} /></Field>
      </ConfirmDialog>
    </>
  )
}
