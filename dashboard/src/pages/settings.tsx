// Settings: the review threshold (score or bucket; lowering it, which means less review, asks first),
// notification channels (add/edit/remove, secrets masked, "send test" per channel) and drift settings.
import { useEffect, useState } from 'preact/hooks'
import { errorText, get, post, put } from '../lib/api.ts'
import { ConfirmDialog, ErrorNote, Field, Loading, OkNote, PageHeading, useAction, useConfirmedAction } from '../components.tsx'

interface ReviewSettings {
  minimum_confidence_score: number
  minimum_confidence_bucket?: string
}

const BUCKETS = ['none', 'low', 'medium', 'high', 'extra_high'] as const

function ThresholdForm() {
  const [current, setCurrent] = useState<ReviewSettings | null>(null)
  const [score, setScore] = useState('')
  const [bucket, setBucket] = useState('')
  const act = useAction()
  useEffect(() => {
    get<ReviewSettings>('/review-settings').then((r) => { setCurrent(r); setScore(String(r.minimum_confidence_score)) }, act.fail)
  }, [])
  async function save() {
    const body = bucket !== '' ? { minimum_confidence_bucket: bucket } : { minimum_confidence_score: Number(score) }
    const next = await put<ReviewSettings>('/review-settings', body)
    setCurrent(next)
    setScore(String(next.minimum_confidence_score))
    setBucket('')
    return `Saved: threshold ${next.minimum_confidence_score}.`
  }
  // Lowering the threshold sends fewer requests to a person: it asks first.
  const lower = useConfirmedAction<true>(act, save)
  function submit(e: Event) {
    e.preventDefault()
    if (bucket === '' && current !== null && Number(score) < current.minimum_confidence_score) lower.ask(true)
    else void act.run(save)
  }
  return (
    <form class="card" onSubmit={submit} aria-labelledby="threshold-title">
      <h2 id="threshold-title">Review threshold</h2>
      <p class="muted">A clearance whose confidence is below this goes to a person.</p>
      <div class="inline-form">
        <Field label="Minimum confidence score (0–1)">
          <input type="number" min={0} max={1} step={0.01} value={score} onInput={(e) => { setScore(e.currentTarget.value); setBucket('') }} />
        </Field>
        <Field label="Score (slider)">
          <input type="range" min={0} max={1} step={0.01} value={score} onInput={(e) => { setScore(e.currentTarget.value); setBucket('') }} />
        </Field>
        <Field label="…or a bucket">
          <select value={bucket} onChange={(e) => setBucket(e.currentTarget.value)}>
            <option value="">(use the score)</option>
            {BUCKETS.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </Field>
      </div>
      <ErrorNote error={act.error} />
      <OkNote text={act.ok} />
      <button type="submit" class="primary">Save threshold</button>
      <ConfirmDialog {...lower.dialog} title="Lower the review threshold?" confirmLabel="Lower it" danger>
        <p>From {current?.minimum_confidence_score} to {score}: fewer requests will go to review.</p>
      </ConfirmDialog>
    </form>
  )
}

interface Channel {
  id: string
  type: 'webhook' | 'slack' | 'email'
  enabled: boolean
  url: string
  secret: string
  key_id: string
  recipients: string
  events: string[]
  tools: string[]
  agents: string[]
}

interface NotifySettings {
  email_enabled?: boolean
  /** Comma-separated (README "Channels and settings"). */
  email_recipients?: string
  slack_enabled?: boolean
  slack_webhook_url?: string
  webhook_url?: string
  channels?: Channel[]
}

interface ChannelTest {
  channel_id: string
  type: string
  status: string
  receiver_status: number | null
  reason: string | null
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean)

function testText(t: ChannelTest | undefined): string {
  if (t === undefined) return 'Not tested: the channel is disabled.'
  return `${t.status === 'delivered' ? '✓ Delivered' : '✗ Failed'}${t.receiver_status !== null ? ` (HTTP ${t.receiver_status})` : ''}${t.reason !== null ? `: ${t.reason}` : ''}`
}

/**
 * One channel's form. Secrets come back masked: the URL and secret inputs start empty and, left
 * empty, send the masked value back, which the server reads as "unchanged".
 */
function ChannelForm({ start, taken, onSave, onCancel }: { start: Channel | null; taken: string[]; onSave: (c: Channel) => void; onCancel: () => void }) {
  const [c, setC] = useState<Channel>(start ?? { id: '', type: 'webhook', enabled: true, url: '', secret: '', key_id: '', recipients: '', events: [], tools: [], agents: [] })
  const [url, setUrl] = useState('')
  const [secret, setSecret] = useState('')
  const [filters, setFilters] = useState({ events: c.events.join(', '), tools: c.tools.join(', '), agents: c.agents.join(', ') })
  const [error, setError] = useState<string | null>(null)
  const set = (p: Partial<Channel>) => setC({ ...c, ...p })
  const keep = (typed: string, stored: string) => (typed !== '' ? typed : stored)
  function submit(e: Event) {
    e.preventDefault()
    if (start === null && taken.includes(c.id)) return setError(`The id "${c.id}" is taken.`)
    onSave({ ...c, url: keep(url, c.url), secret: keep(secret, c.secret), events: list(filters.events), tools: list(filters.tools), agents: list(filters.agents) })
  }
  const hint = (stored: string) => (stored !== '' ? `unchanged (${stored})` : '')
  return (
    <form class="card" onSubmit={submit} aria-labelledby="channel-form-title">
      <h3 id="channel-form-title">{start === null ? 'Add a channel' : `Edit channel ${start.id}`}</h3>
      <div class="inline-form">
        <Field label="Channel id"><input required value={c.id} readOnly={start !== null} onInput={(e) => set({ id: e.currentTarget.value })} /></Field>
        <Field label="Type">
          <select value={c.type} disabled={start !== null} onChange={(e) => set({ type: e.currentTarget.value as Channel['type'] })}>
            <option value="webhook">webhook</option><option value="slack">slack</option><option value="email">email</option>
          </select>
        </Field>
        <label class="choice"><input type="checkbox" checked={c.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} /> Enabled</label>
      </div>
      {c.type !== 'email' && (
        <Field label={c.type === 'slack' ? 'Slack incoming-webhook URL' : 'Webhook URL'}>
          <input type="url" required={c.url === ''} placeholder={hint(c.url)} value={url} autocomplete="off" onInput={(e) => setUrl(e.currentTarget.value)} />
        </Field>
      )}
      {c.type === 'webhook' && (
        <div class="inline-form">
          <Field label="HMAC secret"><input type="password" required={c.secret === ''} placeholder={hint(c.secret)} value={secret} autocomplete="new-password" onInput={(e) => setSecret(e.currentTarget.value)} /></Field>
          <Field label="Key id"><input value={c.key_id} onInput={(e) => set({ key_id: e.currentTarget.value })} /></Field>
        </div>
      )}
      {c.type === 'email' && <Field label="Recipients (comma-separated)"><input required value={c.recipients} onInput={(e) => set({ recipients: e.currentTarget.value })} /></Field>}
      <div class="inline-form">
        <Field label="Events (comma-separated; empty = all)"><input value={filters.events} onInput={(e) => setFilters({ ...filters, events: e.currentTarget.value })} /></Field>
        <Field label="Tools (globs; empty = all)"><input value={filters.tools} onInput={(e) => setFilters({ ...filters, tools: e.currentTarget.value })} /></Field>
        <Field label="Agents (globs; empty = all)"><input value={filters.agents} onInput={(e) => setFilters({ ...filters, agents: e.currentTarget.value })} /></Field>
      </div>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" class="primary">Save channel</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  )
}

function ChannelsCard() {
  const [channels, setChannels] = useState<Channel[] | null>(null)
  const [editing, setEditing] = useState<Channel | 'new' | null>(null)
  const [tests, setTests] = useState<Record<string, string>>({})
  const act = useAction()
  useEffect(() => {
    get<NotifySettings>('/notification-settings').then((d) => setChannels(d.channels ?? []), act.fail)
  }, [])
  async function store(next: Channel[]) {
    setChannels((await put<NotifySettings>('/notification-settings', { channels: next })).channels ?? [])
    setEditing(null)
  }
  function saveOne(c: Channel) {
    const all = channels ?? []
    const i = all.findIndex((x) => x.id === c.id)
    void act.run(() => store(i < 0 ? [...all, c] : all.map((x) => (x.id === c.id ? c : x))), `Saved channel ${c.id}.`)
  }
  const removing = useConfirmedAction<Channel>(act, (r) => store((channels ?? []).filter((c) => c.id !== r.id)), (r) => `Removed channel ${r.id}.`)
  async function sendTest(id: string) {
    setTests({ ...tests, [id]: 'Sending…' })
    try {
      const r = (await post<{ channels: ChannelTest[] }>('/notification-settings/test', {})).channels
      setTests({ ...tests, [id]: testText(r.find((t) => t.channel_id === id)) })
    } catch (err) {
      setTests({ ...tests, [id]: errorText(err) })
    }
  }
  return (
    <section class="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Notification channels</h2>
      <ErrorNote error={act.error} />
      <OkNote text={act.ok} />
      {channels === null && act.error === null && <Loading what="channels" />}
      {channels !== null && channels.length === 0 && <p class="empty">No channels yet.</p>}
      {channels !== null && channels.length > 0 && (
        <table>
          <thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">Enabled</th><th scope="col">Target</th><th scope="col">Filters</th><th scope="col">Actions</th><th scope="col">Test result</th></tr></thead>
          <tbody>
            {channels.map((c) => (
              <tr key={c.id}>
                <td>{c.id}</td><td>{c.type}</td><td>{c.enabled ? 'yes' : 'no'}</td>
                <td class="hash">{c.type === 'email' ? c.recipients : c.url}</td>
                <td>{[c.events.length > 0 && `events: ${c.events.join(', ')}`, c.tools.length > 0 && `tools: ${c.tools.join(', ')}`, c.agents.length > 0 && `agents: ${c.agents.join(', ')}`].filter(Boolean).join('; ') || 'all'}</td>
                <td>
                  <div class="actions">
                    <button type="button" aria-label={`Edit ${c.id}`} onClick={() => setEditing(c)}>Edit</button>
                    <button type="button" aria-label={`Send test to ${c.id}`} onClick={() => void sendTest(c.id)}>Send test</button>
                    <button type="button" class="danger" aria-label={`Remove ${c.id}`} onClick={() => removing.ask(c)}>Remove</button>
                  </div>
                </td>
                <td role="status">{tests[c.id] ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing === null ? (
        <button type="button" onClick={() => setEditing('new')}>Add channel</button>
      ) : (
        <ChannelForm key={editing === 'new' ? '+' : editing.id} start={editing === 'new' ? null : editing} taken={(channels ?? []).map((c) => c.id)} onSave={saveOne} onCancel={() => setEditing(null)} />
      )}
      <ConfirmDialog {...removing.dialog} title={`Remove channel ${removing.target?.id ?? ''}?`} confirmLabel="Remove" danger>
        <p>Notifications stop going to it; pending deliveries may still be tried.</p>
      </ConfirmDialog>
    </section>
  )
}

interface DriftSettings {
  enabled: boolean
  mode: 'observe' | 'enforce'
  thresholds: { watch: number; alert: number; critical: number }
  learning: { min_days: number; min_requests: number }
}

function DriftForm() {
  const [d, setD] = useState<DriftSettings | null>(null)
  const act = useAction()
  useEffect(() => {
    get<DriftSettings>('/drift/settings').then(setD, act.fail)
  }, [])
  const save = act.submit(async () => {
    if (d !== null) setD(await put<DriftSettings>('/drift/settings', { enabled: d.enabled, mode: d.mode, thresholds: d.thresholds, learning: d.learning }))
  }, 'Saved.')
  const num = (label: string, value: number, min: number, max: number, onValue: (n: number) => void) => (
    <Field label={label}><input type="number" required min={min} max={max} step={1} value={value} onInput={(e) => onValue(Number(e.currentTarget.value))} /></Field>
  )
  return (
    <form class="card" onSubmit={save} aria-labelledby="drift-title">
      <h2 id="drift-title">Drift detection</h2>
      {d === null && act.error === null && <Loading what="drift settings" />}
      {d !== null && (
        <>
          <div class="inline-form">
            <label class="choice"><input type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.currentTarget.checked })} /> Drift detection enabled</label>
            <Field label="Mode">
              <select value={d.mode} onChange={(e) => setD({ ...d, mode: e.currentTarget.value as DriftSettings['mode'] })}>
                <option value="observe">observe (events only)</option>
                <option value="enforce">enforce (lock on corroborated critical)</option>
              </select>
            </Field>
          </div>
          <fieldset>
            <legend>Score thresholds (0–100)</legend>
            <div class="inline-form">
              {num('Watch', d.thresholds.watch, 1, 100, (n) => setD({ ...d, thresholds: { ...d.thresholds, watch: n } }))}
              {num('Alert', d.thresholds.alert, 1, 100, (n) => setD({ ...d, thresholds: { ...d.thresholds, alert: n } }))}
              {num('Critical', d.thresholds.critical, 1, 100, (n) => setD({ ...d, thresholds: { ...d.thresholds, critical: n } }))}
            </div>
          </fieldset>
          <fieldset>
            <legend>Learning period</legend>
            <div class="inline-form">
              {num('Minimum days', d.learning.min_days, 0, 365, (n) => setD({ ...d, learning: { ...d.learning, min_days: n } }))}
              {num('Minimum requests', d.learning.min_requests, 1, 1000000, (n) => setD({ ...d, learning: { ...d.learning, min_requests: n } }))}
            </div>
          </fieldset>
        </>
      )}
      <ErrorNote error={act.error} />
      <OkNote text={act.ok} />
      <button type="submit" disabled={d === null}>Save drift settings</button>
    </form>
  )
}

export function SettingsPage() {
  return (
    <>
      <PageHeading title="Settings" />
      <ThresholdForm />
      <ChannelsCard />
      <DriftForm />
    </>
  )
}
