// The review queue (design notes §5.3.4): list sorted by expiry with why-it-is-here, the detail with
// full escaped arguments, hash, diff and a server-time timer, a decide form with no preselected
// option, bulk decisions with a counted confirmation and per-item results, pessimistic updates, live
// arrivals and departures over /events/stream, and keyboard shortcuts that can be turned off.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { ApiError, errorText, get, post } from '../lib/api.ts'
import { renderArgs, argsOneLiner } from '../lib/args.ts'
import { canDecide } from '../lib/boot.ts'
import { diffRows, diffSummary } from '../lib/diff.ts'
import { actionFor, moveSelection, SHORTCUTS } from '../lib/keys.ts'
import { eventRequestId, mergeArrivals, neighbourAfterRemoval, pluralReviews, removeIds, sortByExpiry, whyText } from '../lib/queue.ts'
import type { ReviewItem } from '../lib/queue.ts'
import { hrefOf } from '../lib/router.ts'
import { useStore } from '../lib/store.ts'
import { announcementBetween, remainingMs } from '../lib/timer.ts'
import { ConfirmDialog, ErrorNote, fmtTime, Loading, OkNote, PageHeading, TimerBadge, useServerNow } from '../components.tsx'
import { announce, session, shortcutsEnabled } from '../state.ts'

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

function decidedText(item: ReviewItem | null, fallback: string): string {
  const d = item?.decision
  if (d !== undefined && d !== null) return `Already ${d.approved ? 'approved' : 'denied'} by ${d.by} via ${d.via} at ${fmtTime(d.at)}${d.reason !== '' ? `: “${d.reason}”` : ''}.`
  if (item !== null && item.reviewer !== null && item.status !== 'pending_review') return `Already ${item.status} by ${item.reviewer}.`
  return `Already decided elsewhere (${fallback}).`
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
          if (selectedId === null || !mayDecide) return
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
                  <span class="row-main"><strong>{item.tool_name}</strong> <span class="muted">by {item.agent_id}</span></span>
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
            <ReviewDetail key={selectedId} id={selectedId} listed={selected} now={now} mayDecide={mayDecide} choice={choice} setChoice={setChoice} onDecided={afterDecided}
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
        <label class="field"><span>Reason{bulk === 'deny' ? ' (required)' : ' (optional)'}</span>
          <textarea value={bulkReason} required={bulk === 'deny'} onInput={(e) => setBulkReason(e.currentTarget.value)} />
        </label>
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

interface DetailProps {
  id: string
  listed: ReviewItem | null
  now: number
  mayDecide: boolean
  choice: null | 'approve' | 'deny'
  setChoice: (c: null | 'approve' | 'deny') => void
  onDecided: (id: string, text: string) => void
  /** A 409: the row leaves the queue; the detail stays to say who decided. */
  onDecidedElsewhere: (id: string) => void
}

function ReviewDetail({ id, listed, now, mayDecide, choice, setChoice, onDecided, onDecidedElsewhere }: DetailProps) {
  const [item, setItem] = useState<ReviewItem | null>(listed)
  const [error, setError] = useState<string | null>(null)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [decidedElsewhere, setDecidedElsewhere] = useState<string | null>(null)
  const [copied, setCopied] = useState<string | null>(null)
  const lastLeft = useRef<number | null>(null)

  useEffect(() => {
    get<ReviewItem>(`/reviews/${encodeURIComponent(id)}`)
      .then((full) => setItem(full))
      .catch((err: unknown) => {
        if (listed === null) setError(errorText(err))
      })
  }, [id])

  const shown = item ?? listed
  const left = remainingMs(shown?.review_expires_at ?? null, now)
  // Announce at 60 s, 10 s and expiry, once each (the badge itself is role=timer, not live).
  useEffect(() => {
    if (left === null || shown === null) return
    if (lastLeft.current !== null) {
      const text = announcementBetween(lastLeft.current, left, shown.tool_name)
      if (text !== null) announce(text)
    }
    lastLeft.current = left
  }, [left])

  const rendered = useMemo(() => (shown === null ? null : renderArgs(shown.tool_args)), [shown?.tool_args])
  if (shown === null) return error !== null ? <ErrorNote error={error} /> : <Loading what="the review" />
  const expired = left !== null && left <= 0
  const pending = shown.status === 'pending_review' && decidedElsewhere === null

  async function submit(e: Event) {
    e.preventDefault()
    if (choice === null || shown === null) return setError('Choose Approve or Deny first.')
    if (choice === 'deny' && reason.trim() === '') {
      setError('A reason is required to deny.')
      document.getElementById('decide-reason')?.focus()
      return
    }
    setBusy(true)
    setError(null)
    try {
      await post(`/reviews/${encodeURIComponent(id)}/decision`, { approved: choice === 'approve', review_reason: reason })
      onDecided(id, `${choice === 'approve' ? 'Approved' : 'Denied'} ${shown.tool_name} by ${shown.agent_id}`)
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const fresh = await get<ReviewItem>(`/reviews/${encodeURIComponent(id)}`).catch(() => null)
        if (fresh !== null) setItem(fresh)
        const text = decidedText(fresh, err.detail)
        setDecidedElsewhere(text)
        setChoice(null)
        onDecidedElsewhere(id)
        announce(text)
      } else setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(rendered?.text ?? '')
      setCopied('Copied the arguments as JSON.')
    } catch {
      setCopied('Copying is not available here; select the text instead.')
    }
  }

  const diff = shown.diff_from_last_approved
  return (
    <article aria-labelledby="detail-title">
      <h2 id="detail-title">{shown.tool_name} <span class="muted">by {shown.agent_id}</span></h2>
      <dl class="facts">
        <dt>Why here</dt><dd>{whyText(shown)}</dd>
        <dt>Time left</dt><dd><TimerBadge expiresAt={shown.review_expires_at} now={now} label="Time left to decide" /></dd>
        <dt>Requested</dt><dd>{fmtTime(shown.created_at)}</dd>
        <dt>Request id</dt><dd><code>{shown.request_id}</code> · <a href={hrefOf('ledger', shown.request_id)}>ledger entry</a></dd>
        <dt>Arguments hash</dt><dd><code class="hash">{shown.args_hash ?? shown.tool_args_hash}</code></dd>
        <dt>Policy reason</dt><dd>{shown.reason}</dd>
      </dl>
      <h3 id="args-title">Arguments (canonical JSON, complete)</h3>
      {rendered !== null && rendered.flags.length > 0 && (
        <p class="note note-warn" role="note">
          Hidden characters in these arguments, shown escaped and highlighted: {rendered.flags.join('; ')}.
        </p>
      )}
      <pre class="args" role="region" aria-labelledby="args-title" tabIndex={0}>
        {rendered?.segments.map((seg, i) => (seg.flagged ? <mark key={i} class="flag" title="invisible or bidi control character">{seg.text}</mark> : seg.text))}
      </pre>
      {typeof navigator.clipboard?.writeText === 'function' && <button type="button" onClick={() => void copy()}>Copy JSON</button>}
      <OkNote text={copied} />
      <h3>Compared with the last approved call</h3>
      <p>{diff === undefined ? 'No comparison from the server for this review.' : diffSummary(diff?.changes ?? null)}</p>
      {diff !== null && diff !== undefined && diff.changes.length > 0 && (
        <table class="diff">
          <caption class="sr-only">Argument changes since request {diff.request_id}</caption>
          <thead><tr><th scope="col">Path</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">Now</th></tr></thead>
          <tbody>
            {diffRows(diff.changes).map((r) => (
              <tr key={r.path} class={`diff-${r.kind}`}>
                <td><code>{r.path}</code></td><td>{r.sign} {r.kind}</td>
                <td><code>{r.before ?? '—'}</code></td><td><code>{r.after ?? '—'}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {decidedElsewhere !== null && <p class="note note-warn" role="alert">{decidedElsewhere}</p>}
      {!pending && decidedElsewhere === null && <p class="note">{decidedText(shown, shown.status)}</p>}
      {pending && mayDecide && (
        <form id="decide-form" class="decide" onSubmit={(e) => void submit(e)} aria-labelledby="decide-title">
          <h3 id="decide-title">Decide</h3>
          <fieldset disabled={expired || busy}>
            <legend>Decision</legend>
            <label class="choice"><input type="radio" name="decision" id="decide-deny" value="deny" checked={choice === 'deny'} onChange={() => setChoice('deny')} aria-keyshortcuts="d" /> Deny</label>
            <label class="choice"><input type="radio" name="decision" id="decide-approve" value="approve" checked={choice === 'approve'} onChange={() => setChoice('approve')} aria-keyshortcuts="a" /> Approve</label>
            <label class="field"><span>Reason{choice === 'deny' ? ' (required to deny)' : ' (optional)'}</span>
              <textarea id="decide-reason" value={reason} required={choice === 'deny'} maxLength={4000} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
            <ErrorNote error={error} />
            <button type="submit" class={choice === 'approve' ? 'primary' : choice === 'deny' ? 'danger' : ''} aria-keyshortcuts="Control+Enter">
              {busy ? 'Deciding…' : choice === null ? 'Choose Approve or Deny' : `${choice === 'approve' ? 'Approve' : 'Deny'} ${shown.tool_name}`}
            </button>
          </fieldset>
          {expired && <p class="note note-warn">This review expired; the Vault no longer accepts a decision.</p>}
        </form>
      )}
      {pending && !mayDecide && <p class="note">Your role ({'viewer'}) can read the queue but not decide.</p>}
    </article>
  )
}
