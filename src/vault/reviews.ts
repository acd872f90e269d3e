// Human review: exactly one decision per pending request (a second one is 409), approval mints the
// token then, bound to the original args; agent keys may only cancel (approved: false); a locked
// agent's reviews cannot be approved (403 agent_locked, the review stays pending); expired reviews
// resolve with the configured effect, except that an expiry never mints for a locked agent (denied,
// reason code agent_locked). Both rest on the store's token_insert guard (persistDecision).
// A decision records both identities: the API key that authenticated it and the reviewer it claims.
// A review that cannot be finalised is logged and counted, never dropped silently.
import { LedgixError } from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'
import type { ClearanceRecord, DecisionChannel } from '../store/index.ts'
import type { AuthContext, VaultContext } from './context.ts'
import { persistDecision } from './clearance.ts'
import { NO_EVIDENCE } from './ledger-sink.ts'

export interface ReviewDecisionInput {
  approved: boolean
  reviewReason: string
  reviewerEmail: string
  /**
   * Through which channel the decision arrives (stored with it, shown as "via"): `api` by default,
   * `dashboard` for a session caller;
   * the Slack handler says `slack`, the dashboard `dashboard`. `system` is the Vault's own (expiry).
   */
  channel?: DecisionChannel
}

export type ReviewOutcome = { ok: true; record: ClearanceRecord } | { ok: false; code: ErrorCode; detail: string }

export async function decideReview(ctx: VaultContext, auth: AuthContext, requestId: string, input: ReviewDecisionInput): Promise<ReviewOutcome> {
  // The customer hook already refuses viewers every state change; this keeps the service honest alone.
  if (auth.role === 'viewer') return { ok: false, code: 'forbidden', detail: 'the viewer role is read-only: deciding needs a reviewer or admin' }
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
  // A dashboard session decides as its user: the body's reviewer_email is not evidence of anything.
  const reviewer = auth.user !== undefined ? auth.user.email : input.reviewerEmail !== '' ? input.reviewerEmail : `${auth.role}:${auth.keyName}`
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
    // A session's decision came through the dashboard, whatever route carried it.
    decisionChannel: input.channel ?? (auth.user !== undefined ? 'dashboard' : 'api'),
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
    if (isUnledgerable(err)) {
      return { ok: false, code: 'record_not_ledgerable', detail: 'this request was stored by an older version with content the ledger cannot encode; it cannot be decided' }
    }
    throw err
  }
}

/**
 * true when persisting failed because the record's own content cannot be hashed or encoded: canonical
 * JSON throws TypeError (a non-finite number) or RangeError (stack depth), and the ledger wraps a
 * CBOR failure (lone surrogate, nesting past its bound) as invalid_request — the only invalid_request
 * persisting can raise. Only rows stored before admission checked everything the ledger needs
 * (json-body.ts) can hold such content. Nothing was written: the event is built before the write.
 */
export function isUnledgerable(err: unknown): boolean {
  if (err instanceof LedgixError) return err.code === 'invalid_request'
  return err instanceof TypeError || err instanceof RangeError
}

/** What one pass of the sweeper did. */
export interface SweepResult {
  expired: number
  /** Records that failed to finalise this pass (each also logged). */
  failed: number
}

/** Records the sweeper could not finalise, as /metrics reads them. */
export interface ReviewSweepStats {
  /** Failed finalisation attempts since start (unledgerable records count once). */
  failures: number
  /** Records set aside because their content cannot be ledgered. */
  unledgerable: number
}

/** Pending reviews per pass: the sweep runs every few seconds, so a backlog drains over passes. */
const SWEEP_BATCH = 500
/** Unledgerable records remembered (and read past); beyond this they are retried and logged again. */
const MAX_SET_ASIDE = 10_000

/** The logger surface the sweeper needs (pino's, fastify's). */
export interface SweepLogger {
  error(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/**
 * Expiry of pending reviews, with failures logged and counted instead of swallowed. A record whose
 * content cannot be ledgered (from an older version) is set aside: logged once, counted, and read
 * past on later passes so it can never hold up the records behind it.
 */
export class ReviewSweeper {
  readonly #ctx: VaultContext
  readonly #log: SweepLogger | null
  readonly #setAside = new Set<string>()
  #failures = 0

  constructor(ctx: VaultContext, log: SweepLogger | null) {
    this.#ctx = ctx
    this.#log = log
  }

  get stats(): ReviewSweepStats {
    return { failures: this.#failures, unledgerable: this.#setAside.size }
  }

  /** Resolve pending reviews past their expiry with the configured effect. */
  async sweep(nowMs: number): Promise<SweepResult> {
    const ctx = this.#ctx
    const result: SweepResult = { expired: 0, failed: 0 }
    // Read past the set-aside records, so a full batch of them cannot starve the rest.
    const due = await ctx.store.listExpiredReviews(nowMs, SWEEP_BATCH + this.#setAside.size)
    for (const c of due) {
      const id = `${c.tenantId}\u0000${c.requestId}`
      if (this.#setAside.has(id)) continue
      try {
        await persistDecision(ctx, expiredRecord(c, ctx.config.reviewExpiryEffect === 'approve', nowMs), 'pending_review', NO_EVIDENCE, 'review.expired', [], nowMs)
        result.expired++
      } catch (err) {
        // Decided by a reviewer in the meantime: nothing to do.
        if (err instanceof LedgixError && err.code === 'review_already_decided') continue
        result.failed++
        this.#failures++
        const fields = { err, component: 'review-sweeper', tenant_id: c.tenantId, request_id: c.requestId }
        if (isUnledgerable(err) && this.#setAside.size < MAX_SET_ASIDE) {
          this.#setAside.add(id)
          this.#log?.error(fields, 'a pending review cannot be finalised: its stored content cannot be ledgered (stored by an older version); set aside, it stays pending')
        } else {
          this.#log?.error(fields, 'a pending review could not be expired; retrying at the next pass')
        }
      }
    }
    return result
  }
}

function expiredRecord(c: ClearanceRecord, approve: boolean, nowMs: number): ClearanceRecord {
  return {
    ...c,
    status: approve ? 'approved' : 'denied',
    decisionStatus: approve ? 'approved' : 'denied',
    reason: approve ? 'Review expired; approved by the configured expiry effect.' : 'Review expired without a decision; denied.',
    reasonCode: 'review_expired',
    reviewState: 'expired',
    reviewer: 'system:review-expiry',
    decisionChannel: 'system',
    updatedAtMs: nowMs,
  }
}

/** One sweep without the bookkeeping (tests, tools). Returns how many reviews expired. */
export async function expireReviews(ctx: VaultContext, nowMs: number): Promise<number> {
  return (await new ReviewSweeper(ctx, null).sweep(nowMs)).expired
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
