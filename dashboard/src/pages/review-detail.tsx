// The review detail (design notes §5.3.4): the full canonical arguments with hidden characters
// escaped and flagged, the args hash, the diff against the last approved call, a server-time timer
// announced at 60 s / 10 s / expiry, and the decide form: neither option preselected, a reason
// required to deny, pessimistic (the row leaves only on 2xx), "already decided by X via Y" on 409.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { ApiError, errorText, get, post } from '../lib/api.ts'
import { renderArgs } from '../lib/args.ts'
import { diffRows, diffSummary } from '../lib/diff.ts'
import { whyText } from '../lib/queue.ts'
import type { ReviewItem } from '../lib/queue.ts'
import { hrefOf } from '../lib/router.ts'
import { announcementBetween, remainingMs } from '../lib/timer.ts'
import { ConfirmDialog, ErrorNote, Field, fmtTime, Loading, OkNote, TimerBadge } from '../components.tsx'
import { announce } from '../state.ts'

export function decidedText(item: ReviewItem | null, fallback: string): string {
  const d = item?.decision
  if (d !== undefined && d !== null) return `Already ${d.approved ? 'approved' : 'denied'} by ${d.by} via ${d.via} at ${fmtTime(d.at)}${d.reason !== '' ? `: “${d.reason}”` : ''}.`
  if (item !== null && item.reviewer !== null && item.status !== 'pending_review') return `Already ${item.status} by ${item.reviewer}.`
  return `Already decided elsewhere (${fallback}).`
}

/** The top-level arguments, shortened, for the approve confirm (the full JSON stays on the page). */
function keyArgs(args: unknown): [string, string][] {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return [['arguments', JSON.stringify(args).slice(0, 120)]]
  return Object.entries(args as Record<string, unknown>).slice(0, 8).map(([k, v]) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v)
    return [k, text.length > 120 ? `${text.slice(0, 119)}…` : text]
  })
}

export interface DetailProps {
  id: string
  listed: ReviewItem | null
  now: number
  mayDecide: boolean
  /** The agent's lock reason while it is locked: approving is refused (agent_locked). */
  lock?: string | undefined
  choice: null | 'approve' | 'deny'
  setChoice: (c: null | 'approve' | 'deny') => void
  onDecided: (id: string, text: string) => void
  /** A 409: the row leaves the queue; the detail stays to say who decided. */
  onDecidedElsewhere: (id: string) => void
}

export function ReviewDetail({ id, listed, now, mayDecide, lock, choice, setChoice, onDecided, onDecidedElsewhere }: DetailProps) {
  const [item, setItem] = useState<ReviewItem | null>(listed)
  const [error, setError] = useState<string | null>(null)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [decidedElsewhere, setDecidedElsewhere] = useState<string | null>(null)
  const [copied, setCopied] = useState<string | null>(null)
  const [confirmAllow, setConfirmAllow] = useState(false)
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
    // Approving what would be allowed anyway on timeout is confirmed with the key arguments repeated.
    if (choice === 'approve' && shown.timeout_effect === 'allow') return setConfirmAllow(true)
    await decide()
  }

  async function decide() {
    if (choice === null || shown === null) return
    setConfirmAllow(false)
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
        {shown.timeout_effect !== undefined && <><dt>On timeout</dt><dd class={shown.timeout_effect === 'allow' ? 'bad' : ''}>{shown.timeout_effect === 'allow' ? 'Allow on timeout: it is approved if nobody decides' : shown.timeout_effect === 'deny' ? 'Deny on timeout' : 'Never expires'}</dd></>}
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
      {pending && lock !== undefined && <p class="note note-error">{shown.agent_id} is locked{lock !== '' && `: ${lock}`}. Approving is refused until it is released; denying works.</p>}
      {decidedElsewhere !== null && <p class="note note-warn" role="alert">{decidedElsewhere}</p>}
      {!pending && decidedElsewhere === null && <p class="note">{decidedText(shown, shown.status)}</p>}
      {pending && mayDecide && (
        <form id="decide-form" class="decide" onSubmit={(e) => void submit(e)} aria-labelledby="decide-title">
          <h3 id="decide-title">Decide</h3>
          <fieldset disabled={expired || busy}>
            <legend>Decision</legend>
            <label class="choice"><input type="radio" name="decision" id="decide-deny" value="deny" checked={choice === 'deny'} onChange={() => setChoice('deny')} aria-keyshortcuts="d" /> Deny</label>
            <label class="choice"><input type="radio" name="decision" id="decide-approve" value="approve" checked={choice === 'approve'} disabled={lock !== undefined} onChange={() => setChoice('approve')} aria-keyshortcuts="a" /> Approve</label>
            <Field label={`Reason${choice === 'deny' ? ' (required to deny)' : ' (optional)'}`}>
              <textarea id="decide-reason" value={reason} required={choice === 'deny'} maxLength={4000} onInput={(e) => setReason(e.currentTarget.value)} />
            </Field>
            <ErrorNote error={error} />
            <button type="submit" class={choice === 'approve' ? 'primary' : choice === 'deny' ? 'danger' : ''} aria-keyshortcuts="Control+Enter">
              {busy ? 'Deciding…' : choice === null ? 'Choose Approve or Deny' : `${choice === 'approve' ? 'Approve' : 'Deny'} ${shown.tool_name}`}
            </button>
          </fieldset>
          {expired && <p class="note note-warn">This review expired; the Vault no longer accepts a decision.</p>}
        </form>
      )}
      {pending && mayDecide && (
        <ConfirmDialog open={confirmAllow} title={`Approve ${shown.tool_name}?`} confirmLabel={`Approve ${shown.tool_name}`} busy={busy} onConfirm={() => void decide()} onCancel={() => setConfirmAllow(false)}>
          <p>This review is allowed on timeout. Check the key arguments of {shown.agent_id}'s call:</p>
          <dl class="facts">{keyArgs(shown.tool_args).flatMap(([k, v]) => [<dt key={`k${k}`}>{k}</dt>, <dd key={`v${k}`}><code class="hash">{v}</code></dd>])}</dl>
        </ConfirmDialog>
      )}
      {pending && !mayDecide && <p class="note">Your role ({'viewer'}) can read the queue but not decide.</p>}
    </article>
  )
}
