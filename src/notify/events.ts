// The notification event model: a stable type name, a UUIDv7 id (the receivers' idempotency key) and
// a versioned JSON body built from store records only. No secrets: the body carries the review as the
// reviewer sees it (full canonical tool_args), never tokens, API keys or channel settings.
import { uuidv7 } from '../core/index.ts'
import type { TenantId } from '../core/index.ts'
import type { AgentLockRecord, ClearanceRecord, ClearanceStatus, DecisionChannel, ReportFormat, ReportRecord } from '../store/index.ts'

export const NOTIFY_EVENT_TYPES = [
  'review.created',
  'review.expiring',
  'review.decided',
  'review.expired',
  'agent.locked',
  'agent.released',
  'ledger.verification_failed',
  'report.ready',
  'report.failed',
  'notification.test',
] as const
export type NotifyEventType = (typeof NOTIFY_EVENT_TYPES)[number]

/** Bumped only for a breaking change of the body; additions keep the version. */
export const EVENT_SCHEMA_VERSION = 1

export type { DecisionChannel }

export interface ReviewPart {
  request_id: string
  status: ClearanceStatus
  review_state: string | null
  tool_name: string
  tool_args: Record<string, unknown>
  tool_args_hash: string
  agent_id: string
  session_id: string
  policy_id: string
  reason: string
  reason_code: string | null
  confidence: number
  created_at: string
  expires_at: string | null
  decision: { approved: boolean; decided_by: string; channel: DecisionChannel; review_reason: string | null; decided_at: string } | null
}

/**
 * report.ready / report.failed: what identifies the report and lets a receiver check it (the JSON
 * artifact's SHA-256, the value the ledger holds). Never a share token: the link needs a Vault key.
 */
export interface ReportPart {
  report_id: string
  title: string
  status: 'ready' | 'failed'
  period: { from: string; to: string }
  formats: ReportFormat[]
  json_sha256: string | null
  exceptions: number | null
  error: string | null
}

export interface NotifyEvent {
  schema_version: typeof EVENT_SCHEMA_VERSION
  id: string
  type: NotifyEventType
  occurred_at: string
  tenant_id: TenantId
  review: ReviewPart | null
  agent: { agent_id: string; locked: boolean; actor: string; reason: string } | null
  ledger: { check: string; detail: string } | null
  report: ReportPart | null
  links: { review: string | null; report: string | null }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/** The event a clearance state change raises, or null (most changes raise none). Pure and cheap. */
export function reviewEventTypeOf(record: ClearanceRecord, previous: ClearanceStatus | null): NotifyEventType | null {
  if (record.status === 'pending_review') return previous === 'pending_review' ? null : 'review.created'
  if (previous !== 'pending_review') return null
  return record.reviewState === 'expired' ? 'review.expired' : 'review.decided'
}

function dashboardLink(publicUrl: string | null, kind: 'reviews' | 'reports', id: string): string | null {
  return publicUrl === null ? null : `${publicUrl.replace(/\/+$/, '')}/${kind}/${encodeURIComponent(id)}`
}

function reviewLink(publicUrl: string | null, requestId: string): string | null {
  return dashboardLink(publicUrl, 'reviews', requestId)
}

export function reviewPartOf(c: ClearanceRecord): ReviewPart {
  const decided = c.status === 'approved' || c.status === 'denied'
  return {
    request_id: c.requestId,
    status: c.status,
    review_state: c.reviewState,
    tool_name: c.toolName,
    tool_args: c.toolArgs,
    tool_args_hash: c.toolArgsHash,
    agent_id: c.agentId,
    session_id: c.sessionId,
    policy_id: c.policyId,
    reason: c.reason,
    reason_code: c.reasonCode,
    confidence: c.confidence,
    created_at: new Date(c.createdAtMs).toISOString(),
    expires_at: iso(c.reviewExpiresAtMs),
    decision: decided
      ? {
          approved: c.status === 'approved',
          decided_by: c.reviewer ?? 'unknown',
          // Stored with the decision (decideReview, the expiry sweep); 'api' for a decided record that
          // carries none (written outside the review paths).
          channel: c.decisionChannel ?? 'api',
          review_reason: c.reviewReason,
          decided_at: new Date(c.updatedAtMs).toISOString(),
        }
      : null,
  }
}

function base(type: NotifyEventType, tenantId: TenantId, nowMs: number): NotifyEvent {
  return {
    schema_version: EVENT_SCHEMA_VERSION,
    id: uuidv7(),
    type,
    occurred_at: new Date(nowMs).toISOString(),
    tenant_id: tenantId,
    review: null,
    agent: null,
    ledger: null,
    report: null,
    links: { review: null, report: null },
  }
}

export function reviewEvent(type: NotifyEventType, c: ClearanceRecord, nowMs: number, publicUrl: string | null): NotifyEvent {
  const event = base(type, c.tenantId, nowMs)
  event.review = reviewPartOf(c)
  event.links.review = reviewLink(publicUrl, c.requestId)
  return event
}

export function agentLockEvent(lock: AgentLockRecord, nowMs: number): NotifyEvent {
  const event = base(lock.locked ? 'agent.locked' : 'agent.released', lock.tenantId, nowMs)
  event.agent = { agent_id: lock.agentId, locked: lock.locked, actor: lock.actor, reason: lock.reason }
  return event
}

export function ledgerFailureEvent(tenantId: TenantId, check: string, detail: string, nowMs: number): NotifyEvent {
  const event = base('ledger.verification_failed', tenantId, nowMs)
  event.ledger = { check, detail }
  return event
}

/**
 * The event of a report reaching `ready` or `failed`, or null for any other status. The exceptions
 * count comes from the summary the ready write stores (absent for a failed report).
 */
export function reportEvent(r: ReportRecord, nowMs: number, publicUrl: string | null): NotifyEvent | null {
  if (r.status !== 'ready' && r.status !== 'failed') return null
  const event = base(r.status === 'ready' ? 'report.ready' : 'report.failed', r.tenantId, nowMs)
  const summary = r.summaryJson === null ? null : (JSON.parse(r.summaryJson) as { exceptions?: unknown })
  event.report = {
    report_id: r.reportId,
    title: r.title,
    status: r.status,
    period: { from: new Date(r.periodFromMs).toISOString(), to: new Date(r.periodToMs).toISOString() },
    formats: [...r.formats],
    json_sha256: r.status === 'ready' ? r.jsonSha256 : null,
    exceptions: r.status === 'ready' && typeof summary?.exceptions === 'number' ? summary.exceptions : null,
    error: r.status === 'failed' ? r.error : null,
  }
  event.links.report = dashboardLink(publicUrl, 'reports', r.reportId)
  return event
}

/** What `POST /notification-settings/test` sends: a review-shaped sample so templates render fully. */
export function testEvent(tenantId: TenantId, nowMs: number, publicUrl: string | null): NotifyEvent {
  const event = base('notification.test', tenantId, nowMs)
  event.review = {
    request_id: '00000000-0000-7000-8000-000000000000',
    status: 'pending_review',
    review_state: 'pending',
    tool_name: 'example_tool',
    tool_args: { amount: 1, currency: 'USD', note: 'test notification from ledgix-gateway' },
    tool_args_hash: '',
    agent_id: 'test-agent',
    session_id: '',
    policy_id: '',
    reason: 'This is a test notification; nothing needs a decision.',
    reason_code: null,
    confidence: 0,
    created_at: event.occurred_at,
    expires_at: null,
    decision: null,
  }
  event.links.review = reviewLink(publicUrl, event.review.request_id)
  return event
}
