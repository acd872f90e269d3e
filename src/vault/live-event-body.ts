// What one live event (GET /events/stream) carries: the review or lock facts a dashboard row needs,
// taken from the notification event of the same change (src/notify events.ts; same UUIDv7 id), flat
// and small. Never tool_args, tokens or settings: the page fetches the review itself when it needs
// more. Bounded by construction (free text clipped), so the body fits a PostgreSQL NOTIFY payload.
import type { TenantId } from '../core/index.ts'
import type { NotifyEvent } from '../notify/index.ts'

export const LIVE_EVENT_TYPES = ['review.created', 'review.decided', 'review.expired', 'agent.locked', 'agent.released'] as const
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number]

/** Bumped only for a breaking change of the body; additions keep the version. */
export const LIVE_EVENT_SCHEMA_VERSION = 1

/**
 * Longest free-text field (reason, reviewer, actor) in characters. Identifiers are at most 128
 * characters; with every character JSON-escaped (6 bytes) the whole body stays under
 * MAX_LIVE_DATA_BYTES, which leaves room in PostgreSQL's 8000-byte NOTIFY payload for the envelope.
 */
const MAX_TEXT_CHARS = 200
/** The body's bound in bytes (checked; a body over it drops its free text). */
export const MAX_LIVE_DATA_BYTES = 6500

/** One event as the hub moves it: who may see it, its id and name, and the JSON `data:` line. */
export interface LiveEvent {
  id: string
  type: LiveEventType
  tenantId: TenantId
  /** JSON text without newlines (JSON.stringify escapes them), at most MAX_LIVE_DATA_BYTES. */
  data: string
}

function isLiveType(type: string): type is LiveEventType {
  return (LIVE_EVENT_TYPES as readonly string[]).includes(type)
}

function clip(text: string | null): string | null {
  if (text === null || text.length <= MAX_TEXT_CHARS) return text
  return `${text.slice(0, MAX_TEXT_CHARS - 1)}…`
}

function bodyOf(e: NotifyEvent, withText: boolean): Record<string, unknown> | null {
  const head = { schema_version: LIVE_EVENT_SCHEMA_VERSION, id: e.id, type: e.type, occurred_at: e.occurred_at }
  const r = e.review
  if (r !== null) {
    const d = r.decision
    return {
      ...head,
      request_id: r.request_id,
      tool_name: r.tool_name,
      agent_id: r.agent_id,
      status: r.status,
      review_state: r.review_state,
      reason_code: r.reason_code,
      expires_at: r.expires_at,
      decision:
        d === null
          ? null
          : {
              approved: d.approved,
              decided_by: withText ? clip(d.decided_by) : null,
              channel: d.channel,
              review_reason: withText ? clip(d.review_reason) : null,
              decided_at: d.decided_at,
            },
      truncated: !withText,
    }
  }
  const a = e.agent
  if (a !== null) {
    return { ...head, agent_id: a.agent_id, locked: a.locked, actor: withText ? clip(a.actor) : null, reason: withText ? clip(a.reason) : null, truncated: !withText }
  }
  return null
}

/** The live event of a notification event, or null for a type the stream does not carry. */
export function liveEventOf(e: NotifyEvent): LiveEvent | null {
  if (!isLiveType(e.type)) return null
  let body = bodyOf(e, true)
  if (body === null) return null
  let data = JSON.stringify(body)
  if (Buffer.byteLength(data) > MAX_LIVE_DATA_BYTES) {
    body = bodyOf(e, false)!
    data = JSON.stringify(body)
  }
  return { id: e.id, type: e.type, tenantId: e.tenant_id, data }
}

/** One SSE frame (WHATWG HTML "server-sent events"): id, event name, one data line, blank line. */
export function frameOf(e: LiveEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`
}

/** A received envelope (PostgreSQL NOTIFY payload) back into an event, or null when it is not one of ours. */
export function liveEventFromJson(text: string): LiveEvent | null {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  if (typeof o.id !== 'string' || typeof o.type !== 'string' || typeof o.tenantId !== 'string' || typeof o.data !== 'string') return null
  if (!isLiveType(o.type) || o.id.length > 64 || o.data.includes('\n') || o.id.includes('\n')) return null
  return { id: o.id, type: o.type, tenantId: o.tenantId as TenantId, data: o.data }
}
