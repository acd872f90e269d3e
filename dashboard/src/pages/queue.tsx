// The review queue (design notes §5.3.4): list sorted by expiry with why-it-is-here, the detail
// (review-detail.tsx), bulk decisions with a counted confirmation and per-item results, live arrivals
// and departures over /events/stream, a banner naming the locked agents among the pending reviews (GET
// /overview, then agent.locked/agent.released; their reviews cannot be approved), and keyboard
// shortcuts that can be turned off.
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, errorText, get, post } from '../lib/api.ts'
import { argsOneLiner } from '../lib/args.ts'
import { canDecide } from '../lib/boot.ts'
import { actionFor, moveSelection, SHORTCUTS } from '../lib/keys.ts'
import { eventRequestId, mergeArrivals, neighbourAfterRemoval, pluralReviews, removeIds, sortByExpiry, whyText } from '../lib/queue.ts'
import type { ReviewItem } from '../lib/queue.ts'
import { hrefOf } from '../lib/router.ts'
import { useStore } from '../lib/store.ts'
import { remainingMs } from '../lib/timer.ts'
import { ConfirmDialog, ErrorNote, Field, Loading, PageHeading, TimerBadge, useServerNow } from '../components.tsx'
import { announce, session, shortcutsEnabled } from '../state.ts'
import { ReviewDetail } from './review-detail.tsx'

interface BulkResult {
  request_id: string
  status: number
  code?: string
  detail?: string
}

function isTextField(el: Element | null): boolean {
  if (el === null) return false
  const tag = el.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit'].includes((el as HTMLInputElement).type)
  return (el as HTMLElement).isContentEditable
}

export function QueuePage({ selectedId }: { selectedId: string | null }) {
  const s = useStore(session)
  const shortcuts = useStore(shortcutsEnabled)
  const [items, setItems] = useState<ReviewItem[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set())
  const [bulk, setBulk] = useState<null | 'approve' | 'deny'>(null)
  const [bulkReason, setBulkReason] = useState('')
  const [bulkBusy, setBulkBusy] = useState(false)
  const [bulkResults, setBulkResults] = useState<BulkResult[] | null>(null)
  const [help, setHelp] = useState(false)
  const [choice, setChoice] = useState<null | 'approve' | 'deny'>(null)
  /** Locked agents (id → reason), from GET /overview and then agent.locked/agent.released. */
  const [locks, setLocks] = useState<Record<string, string | undefined>>({})
  const now = useServerNow()
  const mayDecide = canDecide(s.user?.role)
  const itemsRef = useRef<ReviewItem[]>([])
  itemsRef.current = items ?? []

  async function load() {
    try {
      const body = await get<{ reviews: ReviewItem[] }>('/reviews?status=pending_review&limit=500')
      setItems(sortByExpiry(body.reviews))
      setError(null)
    } catch (err) {
      setError(errorText(err))
    }
  }

  useEffect(() => {
    void load()
    get<{ locked_agents: { agent_id: string; reason: string | null }[] }>('/overview').then((o) => setLocks(Object.fromEntries(o.locked_agents.map((a) => [a.agent_id, a.reason ?? ''])))).catch(() => undefined)
    // Live updates; EventSource reconnects by itself and sends Last-Event-ID.
    if (typeof EventSource === 'undefined') return undefined
    const es = new EventSource('/events/stream')
    const onCreated = async (e: MessageEvent<string>) => {
      const id = eventRequestId(e.data)
      try {
        const arrivals = id !== null ? [await get<ReviewItem>(`/reviews/${encodeURIComponent(id)}`)] : (await get<{ reviews: ReviewItem[] }>('/reviews?status=pending_review&limit=500')).reviews
        const merged = mergeArrivals(itemsRef.current, arrivals)
        if (merged.added > 0) {
          setItems(merged.items)
          announce(`${pluralReviews(merged.added)} new in the queue`)
        }
      } catch {
        // the next event or a reload catches up
      }
    }
    const onGone = (verb: string) => (e: MessageEvent<string>) => {
      const id = eventRequestId(e.data)
      if (id === null || !itemsRef.current.some((i) => i.request_id === id)) return
      setItems(removeIds(itemsRef.current, new Set([id])))
      announce(`A review of ${itemsRef.current.find((i) => i.request_id === id)?.tool_name ?? 'a tool'} was ${verb} elsewhere and left the queue`)
    }
    es.addEventListener('review.created', (e) => void onCreated(e as MessageEvent<string>))
    es.addEventListener('review.decided', onGone('decided') as EventListener)
    es.addEventListener('review.expired', onGone('expired') as EventListener)
    const onLock = (e: MessageEvent<string>) => {
      const d = JSON.parse(e.data) as { agent_id: string; locked: boolean; reason: string | null }
      setLocks((m) => ({ ...m, [d.agent_id]: d.locked ? d.reason ?? '' : undefined }))
    }
    es.addEventListener('agent.locked', onLock as EventListener)
    es.addEventListener('agent.released', onLock as EventListener)
    return () => es.close()
  }, [])

  const list = items ?? []
  const selected = list.find((i) => i.request_id === selectedId) ?? null

  // Keyboard: j/k move, Enter opens, a/d choose, Ctrl+Enter submits, ? help.
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const action = actionFor({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, inTextField: isTextField(document.activeElement) }, shortcuts)
      if (action === null) return
      const ids = itemsRef.current.map((i) => i.request_id)
      const focusedRow = (document.activeElement as HTMLElement | null)?.closest('[data-review-id]')?.getAttribute('data-review-id') ?? selectedId
      switch (action) {
        case 'next':
        case 'previous': {
          const next = moveSelection(ids, focusedRow ?? null, action === 'next' ? 1 : -1)
          if (next !== null) document.querySelector<HTMLElement>(`[data-review-id="${CSS.escape(next)}"] a`)?.focus()
          break
        }
        case 'open':
          // Enter on a focused link already follows it; elsewhere it opens the focused row.
          if ((document.activeElement as HTMLElement | null)?.tagName === 'A') return
          if (focusedRow !== null && focusedRow !== undefined) location.hash = hrefOf('reviews', focusedRow)
          break
        case 'choose-approve':
        case 'choose-deny':
          // A locked agent's review offers no Approve (its radio is disabled): nor does its shortcut.
          if (selectedId === null || !mayDecide || (action === 'choose-approve' && (document.getElementById('decide-approve') as HTMLInputElement | null)?.disabled)) return
          setChoice(action === 'choose-approve' ? 'approve' : 'deny')
          requestAnimationFrame(() => document.getElementById(action === 'choose-deny' ? 'decide-reason' : 'decide-approve')?.focus())
          break
        case 'submit':
          if (selectedId === null) return
          document.querySelector<HTMLFormElement>('#decide-form')?.requestSubmit()
          break
        case 'help':
          setHelp(true)
          break
        case 'close':
          setHelp(false)
          return
      }
      e.preventDefault()
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  }, [shortcuts, selectedId, mayDecide])

  function afterDecided(id: string, text: string) {
    const next = neighbourAfterRemoval(itemsRef.current, id)
    setItems(removeIds(itemsRef.current, new Set([id])))
    setChoice(null)
    announce(text)
    location.hash = hrefOf('reviews', next)
  }

  const lockedHere = [...new Set(list.map((i) => i.agent_id))].filter((a) => locks[a] !== undefined)
  const checkedItems = list.filter((i) => checked.has(i.request_id))
  const sameTool = new Set(checkedItems.map((i) => i.tool_name)).size <= 1
  const expiredChecked = checkedItems.filter((i) => (remainingMs(i.review_expires_at, now) ?? 1) <= 0)
  const bulkTargets = checkedItems.filter((i) => !expiredChecked.includes(i))

  async function runBulk() {
    if (bulk === null) return
    setBulkBusy(true)
    try {
      const res = await post<{ results: BulkResult[] }>('/reviews/bulk-decision', {
        request_ids: bulkTargets.map((i) => i.request_id),
        approved: bulk === 'approve',
        review_reason: bulkReason,
      })
      setBulkResults(res.results)
      const done = new Set(res.results.filter((r) => r.status === 200).map((r) => r.request_id))
      setItems(removeIds(itemsRef.current, done))
      setChecked(new Set())
      announce(`${bulk === 'approve' ? 'Approved' : 'Denied'} ${pluralReviews(done.size)}; ${res.results.length - done.size} not changed`)
    } catch (err) {
      setBulkResults([{ request_id: '(all)', status: err instanceof ApiError ? err.status : 0, detail: errorText(err) }])
    } finally {
      setBulkBusy(false)
      setBulk(null)
      setBulkReason('')
    }
  }

  return (
    <>
      <PageHeading title="Review queue">
        <p class="muted">{items === null ? '' : `${pluralReviews(list.length)} pending, expiring soonest first.`} Press <kbd>?</kbd> for shortcuts{shortcuts ? '' : ' (turned off in Account)'}.</p>
      </PageHeading>
      <ErrorNote error={error} />
      {lockedHere.length > 0 && (
        <p class="note note-error" role="status">
          Locked agents: their reviews cannot be approved (deny them, or release the agent). {lockedHere.map((a) => [' ', <a key={a} href={hrefOf('drift', a)}><code>{a}</code></a>])}
        </p>
      )}
      {items === null && error === null && <Loading what="the queue" />}
      <div class="split">
        <section aria-labelledby="queue-list-title" class="queue-list">
          <h2 id="queue-list-title" class="sr-only">Pending reviews</h2>
          {mayDecide && list.length > 0 && (
            <div class="bulk-bar" role="group" aria-label="Bulk actions">
              <span>{checkedItems.length} selected</span>
              <button type="button" disabled={checkedItems.length === 0 || !sameTool} onClick={() => { setBulkResults(null); setBulk('approve') }}>Approve selected…</button>
              <button type="button" disabled={checkedItems.length === 0} onClick={() => { setBulkResults(null); setBulk('deny') }}>Deny selected…</button>
              {!sameTool && <span class="muted">Bulk approve needs rows of one tool.</span>}
            </div>
          )}
          {bulkResults !== null && (
            <div class="card" role="status">
              <h3>Bulk results</h3>
              <ul class="plain">
                {bulkResults.map((r) => (
                  <li key={r.request_id}><code>{r.request_id}</code>: {r.status === 200 ? 'done' : `${r.status} ${r.code ?? ''} ${r.detail ?? ''}`}</li>
                ))}
              </ul>
            </div>
          )}
          {items !== null && list.length === 0 && <p class="empty">Nothing waits for review.</p>}
          <ul class="rows" aria-label="Pending reviews">
            {list.map((item) => (
              <li key={item.request_id} data-review-id={item.request_id} class={item.request_id === selectedId ? 'row selected' : 'row'}>
                {mayDecide && (
                  <input type="checkbox" aria-label={`Select ${item.tool_name} by ${item.agent_id}`} checked={checked.has(item.request_id)}
                    onChange={(e) => {
                      const next = new Set(checked)
                      if (e.currentTarget.checked) next.add(item.request_id)
                      else next.delete(item.request_id)
                      setChecked(next)
                    }} />
                )}
                <a href={hrefOf('reviews', item.request_id)} aria-current={item.request_id === selectedId ? 'true' : undefined}>
                  <span class="row-main"><strong>{item.tool_name}</strong> <span class="muted">by {item.agent_id}</span>{locks[item.agent_id] !== undefined && <strong class="bad"> locked</strong>}</span>
                  <span class="row-why">{whyText(item)}</span>
                  <span class="row-args">{argsOneLiner(item.tool_args)}</span>
                </a>
                <TimerBadge expiresAt={item.review_expires_at} now={now} label={`${item.tool_name} review`} />
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="detail-title" class="queue-detail">
          {selectedId === null || items === null ? (
            <h2 id="detail-title" class="muted">Select a review to see its arguments and decide.</h2>
          ) : (
            <ReviewDetail key={selectedId} id={selectedId} listed={selected} now={now} mayDecide={mayDecide} lock={selected === null ? undefined : locks[selected.agent_id]} choice={choice} setChoice={setChoice} onDecided={afterDecided}
              onDecidedElsewhere={(id) => setItems(removeIds(itemsRef.current, new Set([id])))} />
          )}
        </section>
      </div>
      <ConfirmDialog
        open={bulk !== null}
        title={bulk === 'approve' ? `Approve ${pluralReviews(bulkTargets.length)}?` : `Deny ${pluralReviews(bulkTargets.length)}?`}
        confirmLabel={bulk === 'approve' ? `Approve ${pluralReviews(bulkTargets.length)}` : `Deny ${pluralReviews(bulkTargets.length)}`}
        danger={bulk === 'approve'}
        busy={bulkBusy}
        onCancel={() => setBulk(null)}
        onConfirm={() => {
          if (bulk === 'deny' && bulkReason.trim() === '') return
          void runBulk()
        }}
      >
        <p>This {bulk === 'approve' ? 'approves' : 'denies'} {pluralReviews(bulkTargets.length)}, each through the single-decision path:</p>
        <ul class="plain">{bulkTargets.map((i) => <li key={i.request_id}>{i.tool_name} by {i.agent_id} — <code>{argsOneLiner(i.tool_args)}</code></li>)}</ul>
        {expiredChecked.length > 0 && <p class="note note-warn">{pluralReviews(expiredChecked.length)} already expired and left out.</p>}
        <Field label={`Reason${bulk === 'deny' ? ' (required)' : ' (optional)'}`}>
          <textarea value={bulkReason} required={bulk === 'deny'} onInput={(e) => setBulkReason(e.currentTarget.value)} />
        </Field>
      </ConfirmDialog>
      <ConfirmDialog open={help} title="Keyboard shortcuts" confirmLabel="Close" onConfirm={() => setHelp(false)} onCancel={() => setHelp(false)}>
        <table>
          <thead><tr><th scope="col">Key</th><th scope="col">Action</th></tr></thead>
          <tbody>{SHORTCUTS.map((k) => <tr key={k.keys}><td><kbd>{k.keys}</kbd></td><td>{k.label}</td></tr>)}</tbody>
        </table>
        <p>Shortcuts never fire while you type in a field; turn them off in <a href={hrefOf('account')}>Account</a>.</p>
      </ConfirmDialog>
    </>
  )
}
