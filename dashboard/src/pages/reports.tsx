// Compliance reports (issue 19): list, generate for a period (an Idempotency-Key per submit, so a
// retried submit creates one report), poll until ready or failed, download the artifacts, and share
// links (admin): the token shown once, the list with expiry and views, revoke with confirmation.
import { useEffect, useRef, useState } from 'preact/hooks'
import { del, get, post, request } from '../lib/api.ts'
import { canDecide } from '../lib/boot.ts'
import { hrefOf } from '../lib/router.ts'
import { useStore } from '../lib/store.ts'
import { announce, session } from '../state.ts'
import { ConfirmDialog, ErrorNote, Field, fmtTime, Loading, PageHeading, ShownOnce, useAction, useConfirmedAction } from '../components.tsx'

interface Report {
  report_id: string; status: string; title: string; period_from: string; period_to: string; formats: string[]
  requested_by: string; created_at: string; error: string | null; json_sha256: string | null; exceptions: number
}
interface Share { share_id: string; created_by: string; expires_at: string; revoked_at: string | null; recipient_label: string; views: number }

const pending = (r: Report) => r.status === 'queued' || r.status === 'running'

/** "YYYY-MM-DDTHH:MM" (a datetime-local value) of a UTC instant. */
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16)

function randomKey(): string {
  // getRandomValues works on every origin (randomUUID needs a secure context).
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function Detail({ id, admin, n }: { id: string; admin: boolean; n: number }) {
  const [r, setR] = useState<(Report & { shares: Share[] }) | null>(null)
  const [days, setDays] = useState('')
  const [label, setLabel] = useState('')
  const [made, setMade] = useState<string | null>(null)
  const act = useAction()
  const load = () => get<Report & { shares: Share[] }>(`/reports/${encodeURIComponent(id)}`).then(setR, act.fail)
  useEffect(() => void load(), [id, n])
  useEffect(() => setMade(null), [id])

  const share = act.submit(async () => {
    const body: Record<string, unknown> = { recipient_label: label.trim() }
    if (days.trim() !== '') body['expires_in_days'] = Number(days)
    const s = await post<{ url: string }>(`/reports/${encodeURIComponent(id)}/share`, body)
    setMade(location.origin + s.url)
    setLabel('')
    await load()
  })
  const revoking = useConfirmedAction<Share>(act, async (s) => {
    await del(`/reports/${encodeURIComponent(id)}/share/${encodeURIComponent(s.share_id)}`)
    announce('Share link revoked')
    await load()
  })

  if (r === null) return <section class="card" aria-label="Report"><ErrorNote error={act.error} />{act.error === null && <Loading what="the report" />}</section>
  const base = `/reports/${encodeURIComponent(r.report_id)}/artifacts/`
  return (
    <section class="card" aria-labelledby="report-title">
      <h2 id="report-title">{r.title}</h2>
      <ErrorNote error={act.error} />
      <dl class="facts">
        <dt>Status</dt><dd>{r.status}{r.error !== null && ` — ${r.error}`}</dd>
        <dt>Period</dt><dd>{fmtTime(r.period_from)} → {fmtTime(r.period_to)}</dd>
        <dt>Exceptions</dt><dd>{r.exceptions}</dd>
        <dt>JSON SHA-256</dt><dd class="hash">{r.json_sha256 ?? '—'}</dd>
      </dl>
      {r.status === 'ready' && (
        <ul class="plain" aria-label="Downloads">
          {r.formats.map((f) => <li key={f}><a href={base + f} download={`${r.report_id}.${f}`}>Download {f.toUpperCase()}</a></li>)}
        </ul>
      )}
      {made !== null && <ShownOnce title="Copy the share link now" warning="Anyone with it can read this report until it expires or is revoked." label="Share link" value={made} doneLabel="Done" onDone={() => setMade(null)} />}
      {admin && r.status === 'ready' && (
        <form class="inline-form" onSubmit={share} aria-labelledby="share-title">
          <h3 id="share-title">Share</h3>
          <Field label="Recipient (optional)"><input maxLength={200} value={label} onInput={(e) => setLabel(e.currentTarget.value)} /></Field>
          <Field label="Expires in days (optional)"><input type="number" min={1} max={90} value={days} onInput={(e) => setDays(e.currentTarget.value)} /></Field>
          <button type="submit" class="primary" disabled={act.busy}>Create share link</button>
        </form>
      )}
      <h3>Share links</h3>
      {r.shares.length === 0 ? <p class="empty">Not shared.</p> : (
        <table>
          <thead><tr><th scope="col">Recipient</th><th scope="col">By</th><th scope="col">Expires</th><th scope="col">Views</th><th scope="col">State</th>{admin && <th scope="col">Actions</th>}</tr></thead>
          <tbody>{r.shares.map((s) => (
            <tr key={s.share_id}>
              <td>{s.recipient_label || '—'}</td><td>{s.created_by}</td><td>{fmtTime(s.expires_at)}</td><td class="num">{s.views}</td>
              <td>{s.revoked_at !== null ? `revoked ${fmtTime(s.revoked_at)}` : 'active'}</td>
              {admin && <td>{s.revoked_at === null && <button type="button" class="danger" onClick={() => revoking.ask(s)}>Revoke…</button>}</td>}
            </tr>
          ))}</tbody>
        </table>
      )}
      <ConfirmDialog {...revoking.dialog} title="Revoke this share link?" confirmLabel="Revoke link" danger>
        <p>The link stops working at once for {revoking.target?.recipient_label || 'whoever holds it'}.</p>
      </ConfirmDialog>
    </section>
  )
}

function Poll({ onTick }: { onTick: () => void }) {
  useEffect(() => {
    const t = setInterval(onTick, 1500)
    return () => clearInterval(t)
  }, [])
  return null
}

export function ReportsPage({ reportId }: { reportId: string | null }) {
  const s = useStore(session)
  const role = s.user?.role
  const [reports, setReports] = useState<Report[] | null>(null)
  const now = new Date()
  const [from, setFrom] = useState(local(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)))
  const [to, setTo] = useState(local(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)))
  const [title, setTitle] = useState('')
  const act = useAction()
  const [n, setN] = useState(0)
  const prev = useRef<Report[]>([])
  const load = () => get<{ reports: Report[] }>('/reports?limit=50').then((b) => {
    let moved = false
    for (const r of b.reports) {
      const before = prev.current.find((p) => p.report_id === r.report_id)
      if (before !== undefined && pending(before) && !pending(r)) {
        moved = true
        announce(`Report ${r.title} is ${r.status}`)
      }
    }
    prev.current = b.reports
    setReports(b.reports)
    // The open report's detail follows its status (and shows its downloads once ready).
    if (moved || b.reports.some(pending)) setN((x) => x + 1)
  }, act.fail)
  useEffect(() => void load(), [])

  const generate = act.submit(async () => {
    const body: Record<string, unknown> = { period_from: `${from}:00Z`, period_to: `${to}:00Z` }
    if (title.trim() !== '') body['title'] = title.trim()
    const r = await request<Report>('POST', '/reports', body, { 'idempotency-key': randomKey() })
    announce('Report queued')
    await load()
    location.hash = hrefOf('reports', r.report_id)
  })

  return (
    <>
      <PageHeading title="Compliance reports" />
      <ErrorNote error={act.error} />
      {canDecide(role) && (
        <form class="card inline-form" onSubmit={generate} aria-labelledby="gen-title">
          <h2 id="gen-title">Generate a report</h2>
          <Field label="From (UTC)"><input type="datetime-local" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} /></Field>
          <Field label="To, exclusive (UTC)"><input type="datetime-local" required value={to} onInput={(e) => setTo(e.currentTarget.value)} /></Field>
          <Field label="Title (optional)"><input maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} /></Field>
          <button type="submit" class="primary" disabled={act.busy}>Generate</button>
        </form>
      )}
      {reportId !== null && <Detail id={reportId} admin={role === 'admin'} n={n} />}
      <h2>Reports</h2>
      {reports === null && act.error === null && <Loading what="reports" />}
      {reports !== null && (reports.length === 0 ? <p class="empty">No reports yet.</p> : (
        <table>
          <thead><tr><th scope="col">Title</th><th scope="col">Period</th><th scope="col">Status</th><th scope="col">Exceptions</th><th scope="col">Requested</th></tr></thead>
          <tbody>{reports.map((r) => (
            <tr key={r.report_id}>
              <td><a href={hrefOf('reports', r.report_id)} aria-current={r.report_id === reportId ? 'true' : undefined}>{r.title}</a></td>
              <td>{fmtTime(r.period_from)} → {fmtTime(r.period_to)}</td><td>{r.status}</td><td class="num">{r.exceptions}</td>
              <td>{r.requested_by}, {fmtTime(r.created_at)}</td>
            </tr>
          ))}</tbody>
        </table>
      ))}
      {reports?.some(pending) === true && <Poll onTick={() => void load()} />}
    </>
  )
}
