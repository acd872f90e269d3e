// Small shared pieces: page heading, error and success notes, a confirm <dialog> and the hooks that
// run a form's or a dialog's call (busy, error, done), the review timer.
import type { ComponentChildren } from 'preact'
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { errorText } from './lib/api.ts'
import { formatRemaining, remainingMs, zoneOf } from './lib/timer.ts'
import { announce, serverNow } from './state.ts'

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

/** A labelled form control: the label's text above the control (or controls) it wraps. */
export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return <label class="field"><span>{label}</span>{children}</label>
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

export interface Action {
  busy: boolean
  error: string | null
  ok: string | null
  /** For a load's rejection: shows the error's text. */
  fail: (err: unknown) => void
  /**
   * Runs `fn`: busy meanwhile, the notes cleared first, then the error, or the success note: `done`,
   * else the text `fn` resolved to. Resolves whether it succeeded.
   */
  run: (fn: () => Promise<unknown>, done?: string) => Promise<boolean>
  /** An onSubmit handler: no navigation, then `run`. */
  submit: (fn: () => Promise<unknown>, done?: string) => (e: Event) => void
}

/** The busy flag, the error and the success note of one page or card, and the call that sets them. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [ok, setOk] = useState<string | null>(null)
  const fail = (err: unknown) => setError(errorText(err))
  async function run(fn: () => Promise<unknown>, done?: string): Promise<boolean> {
    setBusy(true)
    setError(null)
    setOk(null)
    try {
      const said = await fn()
      setOk(done ?? (typeof said === 'string' ? said : null))
      return true
    } catch (err) {
      fail(err)
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, ok, fail, run, submit: (fn, done) => (e) => { e.preventDefault(); void run(fn, done) } }
}

/**
 * Confirm, call, show the result: `ask(row)` opens the dialog for that row; its confirm runs
 * `fn(row)` through `action` (busy on the confirm button; the error or `done` in the page's notes)
 * and closes the dialog either way. Spread `dialog` on a ConfirmDialog.
 */
export function useConfirmedAction<T>(action: Action, fn: (target: T) => Promise<unknown>, done?: (target: T) => string) {
  const [target, setTarget] = useState<T | null>(null)
  const close = () => setTarget(null)
  return {
    target,
    ask: setTarget,
    dialog: {
      open: target !== null,
      busy: action.busy,
      onCancel: close,
      onConfirm: () => void (target !== null && action.run(() => fn(target), done?.(target)).then(close)),
    },
  }
}

/**
 * A secret shown once (a new API key, a share link): read-only, selected on focus, with what it
 * opens and the button that dismisses it for good.
 */
export function ShownOnce(p: { title: string; warning: string; label: string; value: string; doneLabel: string; onDone: () => void; children?: ComponentChildren }) {
  const titleId = useId()
  return (
    <section class="card secret" aria-labelledby={titleId}>
      <h2 id={titleId}>{p.title}</h2>
      <p><strong>It won't be shown again.</strong> {p.warning}</p>
      <Field label={p.label}>
        <input readOnly value={p.value} onFocus={(e) => e.currentTarget.select()} spellcheck={false} />
      </Field>
      {p.children}
      <div class="actions">
        {typeof navigator.clipboard?.writeText === 'function' && <button type="button" onClick={() => void navigator.clipboard.writeText(p.value).then(() => announce('Copied'))}>Copy</button>}
        <button type="button" onClick={p.onDone}>{p.doneLabel}</button>
      </div>
    </section>
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
