// The review detail (GET /reviews/{request_id}) and bulk decisions (POST /reviews/bulk-decision),
// each item through the single-decision path (decideReview): exactly once, per-item results.
import type { FastifyInstance } from 'fastify'
import { ERRORS, LedgixError } from '../../core/index.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { reviewDecisionOf, reviewDetailView } from '../review-detail.ts'
import { decideReview } from '../reviews.ts'
import { bulkDecisionBody } from './dashboard-schemas.ts'
import { requestIdParams } from './schemas.ts'

const DECIDERS: ReadonlySet<string> = new Set(['reviewer', 'admin'])

export function registerDashboardReviewRoutes(app: FastifyInstance, ctx: VaultContext): void {
  app.get('/reviews/:request_id', { schema: { params: requestIdParams } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role === 'agent') return sendProblem(reply, 'forbidden', 'the review detail needs a reviewer or admin key')
    const { request_id: requestId } = request.params as { request_id: string }
    const c = await ctx.store.getClearance(auth.tenantId, requestId)
    // A clearance that never went to review is not a review (and another tenant's is not found).
    if (c === null || c.reviewState === null) return sendProblem(reply, 'not_found', 'no such review')
    // What the expiry sweep would do with it (vault_server.review_expiry_effect; null: never expires).
    const timeoutEffect = ctx.config.reviewExpiryMs === null ? null : ctx.config.reviewExpiryEffect === 'approve' ? 'allow' : 'deny'
    return { ...(await reviewDetailView(ctx.store, c)), timeout_effect: timeoutEffect }
  })

  app.post('/reviews/bulk-decision', { schema: { body: bulkDecisionBody } }, async (request, reply) => {
    const auth = request.auth!
    if (!DECIDERS.has(auth.role)) return sendProblem(reply, 'forbidden', 'deciding reviews needs a reviewer or admin key')
    const body = request.body as { request_ids: string[]; approved: boolean; review_reason?: string }
    const reason = body.review_reason ?? ''
    if (!body.approved && reason.trim() === '') return sendProblem(reply, 'invalid_request', 'body.review_reason: a reason is required to deny')
    const results: Array<Record<string, unknown>> = []
    // One by one, in the order given: each is its own exactly-once decision, as if sent singly.
    for (const requestId of body.request_ids) results.push(await decideOne(ctx, auth, requestId, body.approved, reason))
    return { results }
  })
}

async function decideOne(ctx: VaultContext, auth: AuthContext, requestId: string, approved: boolean, reason: string): Promise<Record<string, unknown>> {
  let outcome
  try {
    outcome = await decideReview(ctx, auth, requestId, { approved, reviewReason: reason, reviewerEmail: '' })
  } catch (err) {
    // overloaded and the like: this item failed, the ones before it stand, the caller may retry it.
    if (!(err instanceof LedgixError)) throw err
    return { request_id: requestId, status: err.status, code: err.code, detail: err.detail }
  }
  if (outcome.ok) return { request_id: requestId, status: 200, decision_status: outcome.record.decisionStatus }
  const item: Record<string, unknown> = { request_id: requestId, status: ERRORS[outcome.code].status, code: outcome.code, detail: outcome.detail }
  if (outcome.code === 'review_already_decided') {
    // "already decided by X via Y at T": the UI moves the row to history with this.
    const current = await ctx.store.getClearance(auth.tenantId, requestId)
    item.decision = current === null ? null : reviewDecisionOf(current)
  }
  return item
}
