// The review queue's pure parts: item shape (GET /reviews, GET /reviews/{id}), the sort (expires
// soonest first, then oldest), why-it-is-here text, and live-update merging that never moves the
// rows around the one the reviewer is looking at except to insert or remove.

export type Why = { kind: 'rule'; rule: string } | { kind: 'confidence'; confidence: number; threshold: number } | { kind: 'default' }

export interface ReviewItem {
  request_id: string
  status: string
  tool_name: string
  tool_args: unknown
  tool_args_hash: string
  agent_id: string
  reason: string
  reason_code: string | null
  confidence: number | null
  matched_rule_ids: string[]
  reviewer: string | null
  review_reason: string | null
  created_at: string | null
  review_expires_at: string | null
  why?: Why
  args_hash?: string
  diff_from_last_approved?: { request_id: string; changes: DiffChange[] } | null
  decision?: { approved: boolean; by: string; via: string; at: string; reason: string } | null
  /** What happens when nobody decides in time (GET /reviews/{id}); null: it never expires. */
  timeout_effect?: 'allow' | 'deny' | null
}

export interface DiffChange {
  path: string
  kind: 'added' | 'removed' | 'changed'
  before?: unknown
  after?: unknown
}

function time(iso: string | null): number {
  if (iso === null) return Number.POSITIVE_INFINITY
  const t = Date.parse(iso)
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY
}

export function compareByExpiry(a: ReviewItem, b: ReviewItem): number {
  const ea = time(a.review_expires_at)
  const eb = time(b.review_expires_at)
  if (ea !== eb) return ea < eb ? -1 : 1
  const ca = time(a.created_at)
  const cb = time(b.created_at)
  if (ca !== cb) return ca < cb ? -1 : 1
  return a.request_id < b.request_id ? -1 : a.request_id > b.request_id ? 1 : 0
}

export function sortByExpiry(items: readonly ReviewItem[]): ReviewItem[] {
  return [...items].sort(compareByExpiry)
}

/** Why a request is waiting for a person, from `why` when the server sent it, else from the item. */
export function whyText(item: ReviewItem): string {
  const why = item.why
  if (why?.kind === 'rule') return `matched rule ${why.rule}`
  if (why?.kind === 'confidence') return `confidence ${why.confidence.toFixed(2)} < threshold ${why.threshold.toFixed(2)}`
  if (why?.kind === 'default') return 'no rule decided; the default sends it to review'
  if (item.matched_rule_ids.length > 0) return `matched rule ${item.matched_rule_ids.join(', ')}`
  if (item.confidence !== null) return `confidence ${item.confidence.toFixed(2)}`
  return item.reason
}

/** Insert arrivals in sort order; ids already present keep their row. Returns the new list and how many were added. */
export function mergeArrivals(current: readonly ReviewItem[], arrivals: readonly ReviewItem[]): { items: ReviewItem[]; added: number } {
  const known = new Set(current.map((i) => i.request_id))
  const fresh = arrivals.filter((i) => !known.has(i.request_id) && i.status === 'pending_review')
  if (fresh.length === 0) return { items: [...current], added: 0 }
  return { items: sortByExpiry([...current, ...fresh]), added: fresh.length }
}

export function removeIds(current: readonly ReviewItem[], ids: ReadonlySet<string>): ReviewItem[] {
  return current.filter((i) => !ids.has(i.request_id))
}

/** The row to focus after `id` leaves: the next one, else the previous, else none. */
export function neighbourAfterRemoval(items: readonly ReviewItem[], id: string): string | null {
  const at = items.findIndex((i) => i.request_id === id)
  if (at === -1) return null
  return items[at + 1]?.request_id ?? items[at - 1]?.request_id ?? null
}

export function pluralReviews(n: number): string {
  return n === 1 ? '1 review' : `${n} reviews`
}

/**
 * The request id an /events/stream message is about: `data.request_id`, or `data.review.request_id`
 * (the notification event body, README "Events"); null when the data names none.
 */
export function eventRequestId(data: string): string | null {
  let v: unknown
  try {
    v = JSON.parse(data)
  } catch {
    return null
  }
  if (typeof v !== 'object' || v === null) return null
  const o = v as { request_id?: unknown; review?: { request_id?: unknown } | null }
  if (typeof o.request_id === 'string') return o.request_id
  return typeof o.review?.request_id === 'string' ? o.review.request_id : null
}
