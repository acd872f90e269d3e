// Settings: the review threshold (score or bucket; lowering it, which means less review, asks first),
// notification channels with "send test", and drift settings (edited as JSON: the server validates).
import { useEffect, useState } from 'preact/hooks'
import { errorText, get, post, put } from '../lib/api.ts'
import { ConfirmDialog, ErrorNote, OkNote, PageHeading } from '../components.tsx'

interface ReviewSettings {
  minimum_confidence_score: number
  minimum_confidence_bucket?: string
}

const BUCKETS = ['none', 'low', 'medium', 'high', 'extra_high'] as const

function ThresholdForm() {
  const [current, setCurrent] = useState<ReviewSettings | null>(null)
  const [score, setScore] = useState('')
  const [bucket, setBucket] = useState('')
  const [confirmLower, setConfirmLower] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [ok, setOk] = useState<string | null>(null)
  useEffect(() => {
    get<ReviewSettings>('/review-settings').then((r) => { setCurrent(r); setScore(String(r.minimum_confidence_score)) }, (err: unknown) => setError(errorText(err)))
  }, [])
  async function save() {
    setConfirmLower(false)
    try {
      const body = bucket !== '' ? { minimum_confidence_bucket: bucket } : { minimum_confidence_score: Number(score) }
      const next = await put<ReviewSettings>('/review-settings', body)
      setCurrent(next)
      setScore(String(next.minimum_confidence_score))
      setBucket('')
      setOk(`Saved: threshold ${next.minimum_confidence_score}.`)
    } catch (err) {
      setError(errorText(err))
    }
  }
  function submit(e: Event) {
    e.preventDefault()
    setOk(null)
    setError(null)
    if (bucket === '' && current !== null && Number(score) < current.minimum_confidence_score) setConfirmLower(true)
    else void save()
  }
  return (
    <form class="card" onSubmit={submit} aria-labelledby="threshold-title">
      <h2 id="threshold-title">Review threshold</h2>
      <p class="muted">A clearance whose confidence is below this goes to a person.</p>
      <div class="inline-form">
        <label class="field"><span>Minimum confidence score (0–1)</span>
          <input type="number" min={0} max={1} step={0.01} value={score} onInput={(e) => { setScore(e.currentTarget.value); setBucket('') }} />
        </label>
        <label class="field"><span>Score (slider)</span>
          <input type="range" min={0} max={1} step={0.01} value={score} onInput={(e) => { setScore(e.currentTarget.value); setBucket('') }} />
        </label>
        <label class="field"><span>…or a bucket</span>
          <select value={bucket} onChange={(e) => setBucket(e.currentTarget.value)}>
            <option value="">(use the score)</option>
            {BUCKETS.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </label>
      </div>
      <ErrorNote error={error} />
      <OkNote text={ok} />
      <button type="submit" class="primary">Save threshold</button>
      <ConfirmDialog open={confirmLower} title="Lower the review threshold?" confirmLabel="Lower it" danger onConfirm={() => void save()} onCancel={() => setConfirmLower(false)}>
        <p>From {current?.minimum_confidence_score} to {score}: fewer requests will go to review.</p>
      </ConfirmDialog>
    </form>
  )
}

interface NotifySettings {
  email_enabled?: boolean
  /** Comma-separated (README "Channels and settings"). */
  email_recipients?: string
  slack_enabled?: boolean
  slack_webhook_url?: string
  webhook_url?: string
  channels?: { id: string; type: string; enabled?: boolean }[]
}

interface ChannelTest {
  channel_id: string
  type: string
  status: string
  receiver_status: number | null
  reason: string | null
}

function NotificationsForm() {
  const [doc, setDoc] = useState<NotifySettings | null>(null)
  const [slack, setSlack] = useState('')
  const [webhook, setWebhook] = useState('')
  const [emails, setEmails] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [ok, setOk] = useState<string | null>(null)
  const [test, setTest] = useState<ChannelTest[] | null>(null)
  const [testError, setTestError] = useState<string | null>(null)
  useEffect(() => {
    get<NotifySettings>('/notification-settings').then((d) => {
      setDoc(d)
      setEmails(d.email_recipients ?? '')
    }, (err: unknown) => setError(errorText(err)))
  }, [])
  async function save(e: Event) {
    e.preventDefault()
    setError(null)
    setOk(null)
    const body: NotifySettings = {
      email_enabled: emails.trim() !== '',
      email_recipients: emails.split(',').map((s) => s.trim()).filter(Boolean).join(', '),
    }
    // Secrets come back masked: send them only when the operator typed a new one.
    if (slack !== '') { body.slack_webhook_url = slack; body.slack_enabled = true }
    if (webhook !== '') body.webhook_url = webhook
    try {
      setDoc(await put<NotifySettings>('/notification-settings', body))
      setSlack('')
      setWebhook('')
      setOk('Saved.')
    } catch (err) {
      setError(errorText(err))
    }
  }
  async function sendTest() {
    setTest(null)
    setTestError(null)
    try {
      setTest((await post<{ channels: ChannelTest[] }>('/notification-settings/test', {})).channels)
    } catch (err) {
      setTestError(errorText(err))
    }
  }
  return (
    <form class="card" onSubmit={(e) => void save(e)} aria-labelledby="notify-title">
      <h2 id="notify-title">Notifications</h2>
      {doc !== null && (
        <p class="muted">
          Slack: {doc.slack_webhook_url || 'not set'} · webhook: {doc.webhook_url || 'not set'}
          {doc.channels !== undefined && doc.channels.length > 0 && ` · channels: ${doc.channels.map((c) => `${c.id} (${c.type})`).join(', ')}`}
        </p>
      )}
      <label class="field"><span>Email recipients (comma-separated)</span><input value={emails} onInput={(e) => setEmails(e.currentTarget.value)} /></label>
      <label class="field"><span>New Slack webhook URL (leave empty to keep)</span><input type="url" value={slack} onInput={(e) => setSlack(e.currentTarget.value)} autocomplete="off" /></label>
      <label class="field"><span>New signed webhook URL (leave empty to keep)</span><input type="url" value={webhook} onInput={(e) => setWebhook(e.currentTarget.value)} autocomplete="off" /></label>
      <ErrorNote error={error} />
      <OkNote text={ok} />
      <div class="actions">
        <button type="submit" class="primary">Save channels</button>
        <button type="button" onClick={() => void sendTest()}>Send test</button>
      </div>
      <ErrorNote error={testError} />
      {test !== null && (
        <div role="status">
          <h3>Test result</h3>
          {test.length === 0 ? <p>No channel is enabled.</p> : (
            <table>
              <thead><tr><th scope="col">Channel</th><th scope="col">Type</th><th scope="col">Result</th><th scope="col">Receiver status</th><th scope="col">Error</th></tr></thead>
              <tbody>{test.map((c) => <tr key={c.channel_id}><td>{c.channel_id}</td><td>{c.type}</td><td>{c.status === 'delivered' ? '✓ delivered' : '✗ failed'}</td><td class="num">{c.receiver_status ?? '—'}</td><td>{c.reason ?? ''}</td></tr>)}</tbody>
            </table>
          )}
        </div>
      )}
    </form>
  )
}

function DriftForm() {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [ok, setOk] = useState<string | null>(null)
  useEffect(() => {
    get<unknown>('/drift/settings').then((d) => setText(JSON.stringify(d, null, 2)), (err: unknown) => setError(errorText(err)))
  }, [])
  async function save(e: Event) {
    e.preventDefault()
    setError(null)
    setOk(null)
    try {
      setText(JSON.stringify(await put<unknown>('/drift/settings', JSON.parse(text) as unknown), null, 2))
      setOk('Saved.')
    } catch (err) {
      setError(errorText(err))
    }
  }
  return (
    <form class="card" onSubmit={(e) => void save(e)} aria-labelledby="drift-title">
      <h2 id="drift-title">Drift detection</h2>
      <label class="field"><span>Settings (JSON, validated by the server)</span><textarea class="code" rows={10} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} /></label>
      <ErrorNote error={error} />
      <OkNote text={ok} />
      <button type="submit">Save drift settings</button>
    </form>
  )
}

export function SettingsPage() {
  return (
    <>
      <PageHeading title="Settings" />
      <ThresholdForm />
      <NotificationsForm />
      <DriftForm />
    </>
  )
}
