// Human review: exactly one decision per pending request (a second one is 409), approval mints the
// token then, bound to the original args; agent keys may only cancel (approved: false); a locked
// agent's reviews cannot be approved (403 agent_locked, the review stays pending); expired reviews
// resolve with the configured effect, except that an expiry never mints for a locked agent (denied,
// reason code agent_locked). Both rest on the store's token_insert guard (persistDecision).
// A decision records both identities: the API key that authenticated it and the reviewer it claims.
import { LedgixError } from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'
import type { ClearanceRecord } from '../store/index.ts'
import type { AuthContext, VaultContext } from './context.ts'
import { persistDecision } from './clearance.ts'
import { NO_EVIDENCE } from './ledger-sink.ts'

export interface ReviewDecisionInput {
  approved: boolean
  reviewReason: string
  reviewerEmail: string
}

export type ReviewOutcome = { ok: true; record: ClearanceRecord } | { ok: false; code: ErrorCode; detail: string }

export async function decideReview(ctx: VaultContext, auth: AuthContext, requestId: string, input: ReviewDecisionInput): Promise<ReviewOutcome> {
  if (input.approved && auth.role === 'agent') {
    return { ok: false, code: 'forbidden', detail: 'agent keys may only cancel (approved: false); approving needs a reviewer or admin key' }
  }
  const current = await ctx.store.getClearance(auth.tenantId, requestId)
  if (current === null) return { ok: false, code: 'not_found', detail: 'no such request' }
  if (current.status !== 'pending_review') {
    return { ok: false, code: 'review_already_decided', detail: `request is ${current.status}, not pending review` }
  }
  const nowMs = ctx.clock.now()
  const cancelled = !input.approved && auth.role === 'agent'
  const reviewer = input.reviewerEmail !== '' ? input.reviewerEmail : `${auth.role}:${auth.keyName}`
  const reason =
    input.reviewReason !== ''
      ? input.reviewReason
      : input.approved
        ? 'Approved by a reviewer.'
        : cancelled
          ? 'cancelled by agent'
          : 'Denied by a reviewer.'
  const next: ClearanceRecord = {
    ...current,
    status: input.approved ? 'approved' : 'denied',
    decisionStatus: input.approved ? 'approved' : 'denied',
    reason,
    reasonCode: input.approved ? null : cancelled ? 'cancelled_by_agent' : 'review_denied',
    reviewState: input.approved ? 'approved' : cancelled ? 'cancelled' : 'denied',
    reviewer,
    reviewReason: input.reviewReason,
    decidedByKeyId: auth.keyId,
    decidedByRole: auth.role,
    updatedAtMs: nowMs,
  }
  const eventType = cancelled ? 'review.cancelled_by_agent' : 'review'
  try {
    // 'refuse': an approval for an agent locked meanwhile writes nothing and answers agent_locked.
    const record = await persistDecision(ctx, next, 'pending_review', NO_EVIDENCE, eventType, [], nowMs, 'refuse')
    return { ok: true, record }
  } catch (err) {
    if (err instanceof LedgixError && err.code === 'agent_locked') {
      return { ok: false, code: 'agent_locked', detail: `${err.detail}; the review stays pending: release the lock before approving, or deny it` }
    }
    if (err instanceof LedgixError && err.code === 'review_already_decided') {
      return { ok: false, code: 'review_already_decided', detail: 'this request was decided concurrently' }
    }
    throw err
  }
}

/** Resolve pending reviews past their expiry with the configured effect. Returns how many. */
export async function expireReviews(ctx: VaultContext, nowMs: number): Promise<number> {
  let count = 0
  const approve = ctx.config.reviewExpiryEffect === 'approve'
  for (const c of await ctx.store.listExpiredReviews(nowMs, 500)) {
    const next: ClearanceRecord = {
      ...c,
      status: approve ? 'approved' : 'denied',
      decisionStatus: approve ? 'approved' : 'denied',
      // For a locked agent persistDecision turns the approval into a denial (reason code agent_locked).
      reason: approve ? 'Review expired; the configured expiry effect approves it.' : 'Review expired without a decision; denied.',
      reasonCode: 'review_expired',
      reviewState: 'expired',
      reviewer: 'system:review-expiry',
      updatedAtMs: nowMs,
    }
    try {
      await persistDecision(ctx, next, 'pending_review', NO_EVIDENCE, 'review.expired', [], nowMs)
      count++
    } catch {
      // Decided by a reviewer in the meantime.
    }
  }
  return count
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/** One review queue item: full arguments, never truncated (ANCHORS.md). */
export function reviewItemView(c: ClearanceRecord): Record<string, unknown> {
  return {
    request_id: c.requestId,
    status: c.status,
    decision_status: c.decisionStatus ?? 'approved_pending_review',
    review_state: c.reviewState,
    tool_name: c.toolName,
    tool_args: c.toolArgs,
    tool_args_hash: c.toolArgsHash,
    agent_id: c.agentId,
    session_id: c.sessionId,
    policy_id: c.policyId,
    policy_version_id: c.policyVersionId,
    reason: c.reason,
    reason_code: c.reasonCode,
    confidence: c.confidence,
    confidence_bucket: c.confidenceBucket,
    matched_rule_ids: c.matchedRuleIds,
    reviewer: c.reviewer,
    review_reason: c.reviewReason,
    decided_by_key_id: c.decidedByKeyId,
    decided_by_role: c.decidedByRole,
    created_at: iso(c.createdAtMs),
    updated_at: iso(c.updatedAtMs),
    review_expires_at: iso(c.reviewExpiresAtMs),
  }
}

export function encodeCursor(c: ClearanceRecord): string {
  return Buffer.from(JSON.stringify([c.createdAtMs, c.requestId]), 'utf8').toString('base64url')
}

export function decodeCursor(text: string): { createdAtMs: number; requestId: string } | null {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { createdAtMs: v[0], requestId: v[1] }
  } catch {
    // fall through
  }
  return null
}
