// Users (admin): create, change role, disable or enable, revoke a user's sessions.
import { useEffect, useState } from 'preact/hooks'
import { get, patch, post } from '../lib/api.ts'
import { ConfirmDialog, ErrorNote, Field, fmtTime, Loading, OkNote, PageHeading, useAction, useConfirmedAction } from '../components.tsx'

interface User {
  user_id: string
  email: string
  role: string
  disabled_at?: string | null
  disabled?: boolean
  created_at?: string
}

const ROLES = ['viewer', 'reviewer', 'admin'] as const

export function UsersPage() {
  const [users, setUsers] = useState<User[] | null>(null)
  const [email, setEmail] = useState('')
  const [role, setRole] = useState('reviewer')
  const [password, setPassword] = useState('')
  const [newPassword, setNewPassword] = useState('')
  const a = useAction()
  const load = () => get<{ users: User[] }>('/users').then((b) => setUsers(b.users), a.fail)
  useEffect(() => void load(), [])
  /** The call, then the list again; `done` shows once the call succeeded. */
  const act = (fn: () => Promise<unknown>, done: string) => a.run(async () => { await fn(); await load() }, done)
  const create = a.submit(async () => {
    await post('/users', { email: email.trim(), role, password })
    setEmail('')
    setPassword('')
    await load()
  }, `Created ${email.trim()}.`)
  const resetting = useConfirmedAction<User>(a, async (u) => {
    await post(`/users/${encodeURIComponent(u.user_id)}/password`, { password: newPassword })
    await load()
  }, (u) => `Set a new password for ${u.email}; their sessions end.`)
  return (
    <>
      <PageHeading title="Users" />
      <ErrorNote error={a.error} />
      <OkNote text={a.ok} />
      <form class="card inline-form" onSubmit={create} aria-labelledby="new-user-title">
        <h2 id="new-user-title">Add a user</h2>
        <Field label="Email"><input type="email" required autocomplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} /></Field>
        <Field label="Role"><select value={role} onChange={(e) => setRole(e.currentTarget.value)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select></Field>
        <Field label="Initial password (12+ characters)"><input type="password" required minLength={12} autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></Field>
        <button type="submit" class="primary">Add user</button>
      </form>
      {users === null && a.error === null && <Loading what="users" />}
      {users !== null && (
        <table>
          <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {users.map((u) => {
              const disabled = u.disabled === true || (u.disabled_at !== null && u.disabled_at !== undefined)
              return (
                <tr key={u.user_id}>
                  <td>{u.email}</td>
                  <td>
                    <select aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => void act(() => patch(`/users/${encodeURIComponent(u.user_id)}`, { role: e.currentTarget.value }), `Changed the role of ${u.email}.`)}>
                      {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                  </td>
                  <td>{disabled ? 'disabled' : 'active'}</td>
                  <td>{fmtTime(u.created_at)}</td>
                  <td>
                    <button type="button" onClick={() => void act(() => patch(`/users/${encodeURIComponent(u.user_id)}`, { disabled: !disabled }), `${disabled ? 'Enabled' : 'Disabled'} ${u.email}.`)}>{disabled ? 'Enable' : 'Disable'}</button>{' '}
                    <button type="button" onClick={() => void act(() => post(`/users/${encodeURIComponent(u.user_id)}/revoke-sessions`), `Signed ${u.email} out everywhere.`)}>Revoke sessions</button>{' '}
                    <button type="button" onClick={() => { setNewPassword(''); resetting.ask(u) }}>Reset password…</button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <ConfirmDialog {...resetting.dialog} title={`Reset the password of ${resetting.target?.email ?? ''}?`} confirmLabel="Set password">
        <Field label="New password (12+ characters)">
          <input type="password" required minLength={12} autocomplete="new-password" value={newPassword} onInput={(e) => setNewPassword(e.currentTarget.value)} />
        </Field>
      </ConfirmDialog>
    </>
  )
}
