// Review history: who decided, when, via what, and why; each row links to its ledger entry.
import { useEffect, useState } from 'preact/hooks'
import { errorText, get } from '../lib/api.ts'
import type { ReviewItem } from '../lib/queue.ts'
import { hrefOf } from '../lib/router.ts'
import { ErrorNote, fmtTime, Loading, PageHeading } from '../components.tsx'

export function HistoryPage() {
  const [items, setItems] = useState<ReviewItem[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    get<{ reviews: ReviewItem[] }>('/reviews?status=all&limit=200').then(
      (b) => setItems(b.reviews.filter((r) => r.status !== 'pending_review' && r.reviewer !== null)),
      (err: unknown) => setError(errorText(err)),
    )
  }, [])
  return (
    <>
      <PageHeading title="Review history" />
      <ErrorNote error={error} />
      {items === null && error === null && <Loading what="decisions" />}
      {items !== null && items.length === 0 && <p class="empty">No decided reviews yet.</p>}
      {items !== null && items.length > 0 && (
        <table>
          <thead><tr><th scope="col">Tool</th><th scope="col">Agent</th><th scope="col">Outcome</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col">Requested</th><th scope="col">Ledger</th></tr></thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.request_id}>
                <td>{r.tool_name}</td><td>{r.agent_id}</td><td>{r.status}</td><td>{r.decision?.by ?? r.reviewer}{r.decision != null ? ` via ${r.decision.via}` : ''}</td>
                <td>{r.decision?.reason ?? r.review_reason ?? ''}</td><td>{fmtTime(r.created_at)}</td>
                <td><a href={hrefOf('ledger', r.request_id)}>entry</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
