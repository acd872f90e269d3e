// Agents and drift (issue 19): each agent's drift score, level, learning state and lock (GET
// /drift/summary, plus locks from GET /overview of agents drift does not track); an agent's event
// timeline with the signals that drove its score (GET /drift/events); lock with a reason, release by
// typing the agent id (reviewer or admin).
import { useEffect, useState } from 'preact/hooks'
import { errorText, get, post, request } from '../lib/api.ts'
import { canDecide } from '../lib/boot.ts'
import { hrefOf } from '../lib/router.ts'
import { useStore } from '../lib/store.ts'
import { announce, session } from '../state.ts'
import { ConfirmDialog, ErrorNote, Field, fmtTime, Loading, PageHeading, useAction, useConfirmedAction } from '../components.tsx'

interface Agent {
  agent_id: string
  score: number | null
  level: string
  learning: { requests: number; min_requests: number } | null
  locked: boolean
  lock_reason: string | null
  explanation: string[]
  last_seen_at: string | null
}
interface Summary { enabled: boolean; mode: string; top: Agent[] }
interface Reason { code: string; severity: number; text: string }
interface DriftEvent {
  event_id: string; type: string; at: string; level: string; previous_level: string; score: number
  action: string; actor: string | null; reason: string | null; reasons: Reason[]
}

async function loadAgents(): Promise<{ summary: Summary; agents: Agent[] }> {
  const [summary, overview] = await Promise.all([
    get<Summary>('/drift/summary?limit=500'),
    get<{ locked_agents?: { agent_id: string; reason?: string | null }[] }>('/overview').catch(() => ({ locked_agents: [] })),
  ])
  const agents = [...summary.top]
  for (const l of overview.locked_agents ?? []) {
    if (!agents.some((a) => a.agent_id === l.agent_id)) {
      agents.push({ agent_id: l.agent_id, score: null, level: 'not tracked', learning: null, locked: true, lock_reason: l.reason ?? null, explanation: [], last_seen_at: null })
    }
  }
  return { summary, agents }
}

function Timeline({ agentId, n }: { agentId: string; n: number }) {
  const [events, setEvents] = useState<DriftEvent[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = (after: string | null) =>
    get<{ events: DriftEvent[]; next_cursor: string | null }>(`/drift/events?limit=50&agent_id=${encodeURIComponent(agentId)}${after === null ? '' : `&cursor=${after}`}`).then((b) => {
      setEvents((prev) => (after === null ? b.events : [...(prev ?? []), ...b.events]))
      setCursor(b.next_cursor)
    }, (err: unknown) => setError(errorText(err)))
  useEffect(() => void load(null), [agentId, n])
  return (
    <section aria-labelledby="tl-title">
      <h3 id="tl-title">Events</h3>
      <ErrorNote error={error} />
      {events === null && error === null && <Loading what="events" />}
      {events?.length === 0 && <p class="empty">No drift events for this agent.</p>}
      <ol class="timeline">
        {events?.map((e) => (
          <li key={e.event_id}>
            <strong>{e.type}</strong> · {fmtTime(e.at)} · {e.previous_level === e.level ? e.level : `${e.previous_level} → ${e.level}`} · score {e.score}
            {e.action !== 'none' && ` · ${e.action}`}
            {e.actor !== null && <div>By {e.actor}{e.reason ? `: ${e.reason}` : ''}</div>}
            {e.reasons.length > 0 && <ul class="plain">{e.reasons.map((r) => <li key={r.code}><code>{r.code}</code> (severity {r.severity}): {r.text}</li>)}</ul>}
          </li>
        ))}
      </ol>
      {cursor !== null && <button type="button" onClick={() => void load(cursor)}>Older events</button>}
    </section>
  )
}

export function DriftPage({ agentId }: { agentId: string | null }) {
  const s = useStore(session)
  const mayAct = canDecide(s.user?.role)
  const [data, setData] = useState<{ summary: Summary; agents: Agent[] } | null>(null)
  const [reason, setReason] = useState('')
  const [rebaseline, setRebaseline] = useState(false)
  const [n, setN] = useState(0)
  const act = useAction()
  const refresh = () => loadAgents().then(setData, act.fail)
  useEffect(() => void refresh(), [])

  const lock = useConfirmedAction<{ agent: string; lock: boolean }>(act, async (t) => {
    const path = `/drift/agents/${encodeURIComponent(t.agent)}/lockdown`
    if (t.lock) await post(path, { reason: reason.trim() })
    else await request('DELETE', path, { reason: reason.trim(), rebaseline })
    announce(`${t.agent} ${t.lock ? 'locked' : 'released'}`)
    setN((x) => x + 1)
    await refresh()
  })
  function open(agent: string, locking: boolean) {
    setReason('')
    setRebaseline(false)
    lock.ask({ agent, lock: locking })
  }
  const target = lock.target
  const selected = data?.agents.find((a) => a.agent_id === agentId) ?? null
  return (
    <>
      <PageHeading title="Agents and drift" />
      <ErrorNote error={act.error} />
      {data === null && act.error === null && <Loading what="agents" />}
      {data !== null && (
        <>
          <p>Drift detection is {data.summary.enabled ? `on (${data.summary.mode} mode)` : 'off'}{data.summary.enabled ? '.' : <>: turn it on in <a href={hrefOf('settings')}>Settings</a>.</>}</p>
          {data.agents.length === 0 ? <p class="empty">No agents seen yet.</p> : (
            <table>
              <thead><tr><th scope="col">Agent</th><th scope="col">Score</th><th scope="col">Level</th><th scope="col">Learning</th><th scope="col">Lock</th><th scope="col">Last seen</th>{mayAct && <th scope="col">Actions</th>}</tr></thead>
              <tbody>
                {data.agents.map((a) => (
                  <tr key={a.agent_id} data-agent-id={a.agent_id}>
                    <td><a href={hrefOf('drift', a.agent_id)} aria-current={a.agent_id === agentId ? 'true' : undefined}><code>{a.agent_id}</code></a></td>
                    <td class="num">{a.score ?? '—'}</td>
                    <td>{a.level}</td>
                    <td>{a.learning === null ? 'done' : `${a.learning.requests}/${a.learning.min_requests} requests`}</td>
                    <td>{a.locked ? <strong class="bad">Locked{a.lock_reason ? `: ${a.lock_reason}` : ''}</strong> : 'not locked'}</td>
                    <td>{fmtTime(a.last_seen_at)}</td>
                    {mayAct && (
                      <td>{a.locked
                        ? <button type="button" onClick={() => open(a.agent_id, false)}>Release {a.agent_id}…</button>
                        : <button type="button" class="danger" onClick={() => open(a.agent_id, true)}>Lock {a.agent_id}…</button>}</td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {agentId !== null && (
        <section class="card" aria-labelledby="agent-title">
          <h2 id="agent-title">Agent <code>{agentId}</code></h2>
          {selected !== null && (
            <>
              {selected.locked && <p class="note note-error">Locked: clearances are denied with <code>agent_locked</code> and its reviews cannot be approved.</p>}
              {selected.explanation.length > 0 ? <ul class="plain" aria-label="What drives the score">{selected.explanation.map((t) => <li key={t}>{t}</li>)}</ul> : <p class="muted">No signal contributes to the score now.</p>}
            </>
          )}
          <Timeline agentId={agentId} n={n} />
        </section>
      )}
      <ConfirmDialog {...lock.dialog} title={target?.lock === true ? `Lock ${target.agent}?` : `Release ${target?.agent ?? ''}?`}
        confirmLabel={target?.lock === true ? 'Lock agent' : 'Release agent'} danger={target?.lock === true}
        {...(target?.lock === false ? { typeToConfirm: target.agent } : {})}
        onConfirm={() => reason.trim() !== '' && lock.dialog.onConfirm()}>
        <p>{target?.lock === true
          ? 'From now on its clearances are denied and its pending reviews cannot be approved. The lock is ledgered with your name and reason.'
          : 'Its clearances are decided by policy again. The release is ledgered with your name and reason.'}</p>
        <Field label="Reason (required)">
          <textarea required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </Field>
        {target?.lock === false && (
          <label class="choice"><input type="checkbox" checked={rebaseline} onChange={(e) => setRebaseline(e.currentTarget.checked)} /> Rebaseline (learn this agent again from scratch)</label>
        )}
      </ConfirmDialog>
    </>
  )
}
