// Overview: pending reviews, oldest wait, expiring soon, locked agents, last ledger verification,
// notification channel health (GET /overview).
import { useEffect, useState } from 'preact/hooks'
import { errorText, get } from '../lib/api.ts'
import { hrefOf } from '../lib/router.ts'
import { ErrorNote, fmtTime, Loading, PageHeading } from '../components.tsx'

interface Overview {
  pending_reviews: number
  oldest_pending_at: string | null
  expiring_soon: number
  locked_agents: { agent_id: string; locked_at?: string | null; actor?: string | null; reason?: string | null }[]
  last_verification: unknown
  channels: { id: string; type: string; last_status: string | null; last_error?: string | null; last_attempt_at: string | null }[]
}

function agentName(a: unknown): string {
  if (typeof a === 'string') return a
  if (typeof a === 'object' && a !== null && typeof (a as { agent_id?: unknown }).agent_id === 'string') return (a as { agent_id: string }).agent_id
  return JSON.stringify(a)
}

function verificationText(v: unknown): string {
  if (v === null || v === undefined) return 'never run'
  if (typeof v !== 'object') return String(v)
  const o = v as Record<string, unknown>
  const ok = o['intact'] ?? o['ok']
  const at = typeof o['at'] === 'string' ? o['at'] : typeof o['verified_at'] === 'string' ? o['verified_at'] : null
  return `${ok === true ? 'intact' : ok === false ? 'BROKEN' : 'unknown'}${at !== null ? ` at ${fmtTime(at)}` : ''}`
}

export function OverviewPage() {
  const [data, setData] = useState<Overview | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    get<Overview>('/overview').then(setData, (err: unknown) => setError(errorText(err)))
  }, [])
  return (
    <>
      <PageHeading title="Overview" />
      <ErrorNote error={error} />
      {data === null && error === null && <Loading what="the overview" />}
      {data !== null && (
        <>
          <ul class="tiles" aria-label="Queue">
            <li class="tile"><span class="tile-num">{data.pending_reviews}</span> <a href={hrefOf('reviews')}>pending reviews</a></li>
            <li class="tile"><span class="tile-num">{data.expiring_soon}</span> expiring soon</li>
            <li class="tile"><span class="tile-label">oldest waiting since</span> {fmtTime(data.oldest_pending_at)}</li>
            <li class="tile"><span class="tile-num">{data.locked_agents.length}</span> locked agents</li>
          </ul>
          {data.locked_agents.length > 0 && (
            <section aria-labelledby="locked-title"><h2 id="locked-title">Locked agents</h2>
              <ul>{data.locked_agents.map((a) => (
                <li key={agentName(a)}><code>{agentName(a)}</code>{a.reason ? ` — ${a.reason}` : ''}{a.actor ? ` (by ${a.actor}${a.locked_at ? `, ${fmtTime(a.locked_at)}` : ''})` : ''}</li>
              ))}</ul>
            </section>
          )}
          <section aria-labelledby="ver-title"><h2 id="ver-title">Ledger</h2>
            <p>Last verification: {verificationText(data.last_verification)}. <a href={hrefOf('ledger')}>Open the ledger</a></p>
          </section>
          <section aria-labelledby="ch-title"><h2 id="ch-title">Notification channels</h2>
            {data.channels.length === 0 ? <p class="muted">No channels configured. <a href={hrefOf('settings')}>Settings</a></p> : (
              <table>
                <thead><tr><th scope="col">Channel</th><th scope="col">Type</th><th scope="col">Last status</th><th scope="col">Last error</th><th scope="col">Last attempt</th></tr></thead>
                <tbody>{data.channels.map((c) => <tr key={c.id}><td>{c.id}</td><td>{c.type}</td><td>{c.last_status ?? 'never used'}</td><td>{c.last_error ?? ''}</td><td>{fmtTime(c.last_attempt_at)}</td></tr>)}</tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  )
}
