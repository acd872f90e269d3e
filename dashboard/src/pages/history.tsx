// Review history: who decided, when, via what, and why; filters (status, tool, agent) live in the
// hash query so they survive a reload; the shown rows export as CSV or JSON; each row links to its
// ledger entry and proof bundle.
import { useEffect, useState } from 'preact/hooks'
import { errorText, get } from '../lib/api.ts'
import type { ReviewItem } from '../lib/queue.ts'
import { hashQuery, hrefOf } from '../lib/router.ts'
import { ErrorNote, Field, fmtTime, Loading, PageHeading } from '../components.tsx'

const FILTERS = ['status', 'tool', 'agent'] as const
type Filters = Record<(typeof FILTERS)[number], string>

function readFilters(): Filters {
  const q = hashQuery(location.hash)
  return { status: q.get('status') ?? '', tool: q.get('tool') ?? '', agent: q.get('agent') ?? '' }
}

interface Row { request_id: string; tool: string; agent: string; status: string; by: string; via: string; reason: string; requested_at: string; decided_at: string }

function rowOf(r: ReviewItem): Row {
  return {
    request_id: r.request_id, tool: r.tool_name, agent: r.agent_id, status: r.status,
    by: r.decision?.by ?? r.reviewer ?? '', via: r.decision?.via ?? '', reason: r.decision?.reason ?? r.review_reason ?? '',
    requested_at: r.created_at ?? '', decided_at: r.decision?.at ?? '',
  }
}

/** RFC 4180 fields; a leading = + - @ is prefixed with ' so a spreadsheet does not run it as a formula. */
function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export function toCsv(rows: Row[]): string {
  const cols = ['request_id', 'tool', 'agent', 'status', 'by', 'via', 'reason', 'requested_at', 'decided_at'] as const
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n'
}

function download(name: string, type: string, text: string) {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([text], { type }))
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

export function HistoryPage() {
  const [items, setItems] = useState<ReviewItem[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [f, setF] = useState<Filters>(readFilters)
  useEffect(() => {
    get<{ reviews: ReviewItem[] }>('/reviews?status=all&limit=200').then(
      (b) => setItems(b.reviews.filter((r) => r.status !== 'pending_review' && r.reviewer !== null)),
      (err: unknown) => setError(errorText(err)),
    )
    const onHash = () => setF(readFilters())
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])
  function setFilter(k: keyof Filters, v: string) {
    const next = { ...f, [k]: v }
    setF(next)
    const q = new URLSearchParams()
    for (const key of FILTERS) if (next[key] !== '') q.set(key, next[key])
    const s = q.toString()
    history.replaceState(null, '', `${hrefOf('history')}${s === '' ? '' : `?${s}`}`)
  }
  const shown = (items ?? []).filter((r) => (f.status === '' || r.status === f.status) && (f.tool === '' || r.tool_name.includes(f.tool)) && (f.agent === '' || r.agent_id.includes(f.agent)))
  const statuses = [...new Set((items ?? []).map((r) => r.status))].sort()
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '')
  return (
    <>
      <PageHeading title="Review history" />
      <ErrorNote error={error} />
      <form class="inline-form" aria-label="Filter the history" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          <select value={f.status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any</option>
            {[...new Set([...statuses, f.status].filter(Boolean))].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Tool contains"><input value={f.tool} onInput={(e) => setFilter('tool', e.currentTarget.value)} /></Field>
        <Field label="Agent contains"><input value={f.agent} onInput={(e) => setFilter('agent', e.currentTarget.value)} /></Field>
        <div class="actions">
          <button type="button" disabled={shown.length === 0} onClick={() => download(`review-history-${stamp}.csv`, 'text/csv', toCsv(shown.map(rowOf)))}>Export CSV</button>
          <button type="button" disabled={shown.length === 0} onClick={() => download(`review-history-${stamp}.json`, 'application/json', JSON.stringify(shown.map(rowOf), null, 2))}>Export JSON</button>
        </div>
      </form>
      {items === null && error === null && <Loading what="decisions" />}
      {items !== null && shown.length === 0 && <p class="empty">{items.length === 0 ? 'No decided reviews yet.' : 'No decision matches the filters.'}</p>}
      {shown.length > 0 && (
        <table>
          <caption class="sr-only">{shown.length} of {items?.length ?? 0} decisions</caption>
          <thead><tr><th scope="col">Tool</th><th scope="col">Agent</th><th scope="col">Outcome</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col">Requested</th><th scope="col">Ledger</th></tr></thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.request_id}>
                <td>{r.tool_name}</td><td>{r.agent_id}</td><td>{r.status}</td><td>{r.decision?.by ?? r.reviewer}{r.decision != null ? ` via ${r.decision.via}` : ''}</td>
                <td>{r.decision?.reason ?? r.review_reason ?? ''}</td><td>{fmtTime(r.created_at)}</td>
                <td><a href={hrefOf('ledger', r.request_id)} aria-label={`Ledger entry and proof bundle of ${r.request_id}`}>entry / proof</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
