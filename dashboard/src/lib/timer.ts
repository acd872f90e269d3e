// The review timer: remaining time from server time (boot server_time minus the local clock gives the
// offset, so a skewed laptop clock does not lie), its zone, and the few moments a screen reader is
// told about: 60 s left, 10 s left, expired. Pure.

export type TimerZone = 'none' | 'ok' | 'soon' | 'critical' | 'expired'

/** Announced when the remaining time crosses these, once each (ms). */
export const ANNOUNCE_AT_MS = [60_000, 10_000, 0] as const

export function zoneOf(remainingMs: number | null): TimerZone {
  if (remainingMs === null) return 'none'
  if (remainingMs <= 0) return 'expired'
  if (remainingMs <= 10_000) return 'critical'
  if (remainingMs <= 60_000) return 'soon'
  return 'ok'
}

/** "mm:ss", or "h:mm:ss" past an hour, or "expired"; counts whole seconds up (0.2 s left shows 00:01). */
export function formatRemaining(remainingMs: number): string {
  if (remainingMs <= 0) return 'expired'
  const total = Math.ceil(remainingMs / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const mm = String(m).padStart(2, '0')
  const ss = String(s).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

/** What to announce when the remaining time moves from `beforeMs` to `afterMs`, or null. */
export function announcementBetween(beforeMs: number, afterMs: number, subject: string): string | null {
  // The lowest threshold crossed wins: a tab asleep through 60 s and 10 s says only "expired".
  let crossed: number | null = null
  for (const at of ANNOUNCE_AT_MS) if (beforeMs > at && afterMs <= at) crossed = at
  if (crossed === null) return null
  if (crossed === 0) return `Review of ${subject} expired`
  return `${crossed / 1000} seconds left to review ${subject}`
}

export function remainingMs(expiresAt: string | null, serverNowMs: number): number | null {
  if (expiresAt === null) return null
  const at = Date.parse(expiresAt)
  return Number.isFinite(at) ? at - serverNowMs : null
}
