// Small shared pieces: page heading, error and success notes, a confirm <dialog>, the review timer.
import type { ComponentChildren } from 'preact'
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { formatRemaining, remainingMs, zoneOf } from './lib/timer.ts'
import { serverNow } from './state.ts'

export function PageHeading({ title, children }: { title: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null)
  // Focus moves to the new page's heading on navigation, so a screen reader hears where it is.
  useEffect(() => ref.current?.focus(), [title])
  return (
    <div class="page-head">
      <h1 tabIndex={-1} ref={ref}>{title}</h1>
      {children}
    </div>
  )
}

export function ErrorNote({ error }: { error: string | null }) {
  if (error === null) return null
  return <p class="note note-error" role="alert">{error}</p>
}

export function OkNote({ text }: { text: string | null }) {
  if (text === null) return null
  return <p class="note note-ok" role="status">{text}</p>
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>
}

export interface ConfirmProps {
  open: boolean
  title: string
  confirmLabel: string
  danger?: boolean
  /** When set, the confirm button stays disabled until this text is typed. */
  typeToConfirm?: string
  busy?: boolean
  onConfirm: () => void
  onCancel: () => void
  children?: ComponentChildren
}

/** A modal <dialog>: focus goes in, Escape cancels, focus returns to the opener (the browser does it). */
export function ConfirmDialog(p: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const [typed, setTyped] = useState('')
  const titleId = useId()
  useEffect(() => {
    const d = ref.current
    if (d === null) return
    if (p.open && !d.open) {
      setTyped('')
      d.showModal()
    } else if (!p.open && d.open) d.close()
  }, [p.open])
  const blocked = p.typeToConfirm !== undefined && typed !== p.typeToConfirm
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={(e) => { e.preventDefault(); p.onCancel() }}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); if (!blocked) p.onConfirm() }}>
        <h2 id={titleId}>{p.title}</h2>
        {p.children}
        {p.typeToConfirm !== undefined && (
          <label class="field">
            <span>Type <code>{p.typeToConfirm}</code> to confirm</span>
            <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
          </label>
        )}
        <div class="actions">
          <button type="button" onClick={p.onCancel}>Cancel</button>
          <button type="submit" class={p.danger === true ? 'danger' : 'primary'} disabled={blocked || p.busy === true}>
            {p.busy === true ? 'Working…' : p.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}

/** Ticks once a second; re-renders its parent's children with the server-time now. */
export function useServerNow(): number {
  const [now, setNow] = useState(serverNow())
  useEffect(() => {
    const t = setInterval(() => setNow(serverNow()), 1000)
    return () => clearInterval(t)
  }, [])
  return now
}

/** mm:ss left; colour and text (never colour alone). Announcements are the queue page's job. */
export function TimerBadge({ expiresAt, now, label }: { expiresAt: string | null; now: number; label: string }) {
  const left = remainingMs(expiresAt, now)
  const zone = zoneOf(left)
  if (left === null) return <span class="timer timer-none">no expiry</span>
  return (
    <span class={`timer timer-${zone}`} role="timer" aria-label={`${label}: ${left <= 0 ? 'expired' : `${formatRemaining(left)} left`}`}>
      {left <= 0 ? 'Expired' : formatRemaining(left)}
    </span>
  )
}

export function fmtTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—'
  const t = Date.parse(iso)
  return Number.isFinite(t) ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : iso
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>
}
