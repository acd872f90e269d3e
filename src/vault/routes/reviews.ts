// GET /reviews (paged queue, full arguments; ?status= by clearance status or, for the dashboard, by
// review state) and POST /reviews/{request_id}/decision.
import type { FastifyInstance } from 'fastify'
import type { ClearanceStatus } from '../../store/index.ts'
import { clearanceView } from '../clearance.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { decideReview, decodeCursor, encodeCursor, reviewItemView } from '../reviews.ts'
import { requestIdParams, reviewDecisionBody, reviewsQuery } from './schemas.ts'

/** Reviewer prefixes only the Vault records (Slack actions, the expiry sweep); case-blind, leading spaces too. */
const RESERVED_REVIEWER = /^\s*(slack|system):/i

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 500

export function registerReviewRoutes(app: FastifyInstance, ctx: VaultContext): void {
  app.get('/reviews', { schema: { querystring: reviewsQuery } }, async (request, reply) => {
    const q = request.query as { status?: ClearanceStatus | 'all' | 'pending' | 'decided' | 'expired'; limit?: string; cursor?: string }
    const limit = Math.min(MAX_LIMIT, Math.max(1, q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit)))
    const after = q.cursor === undefined || q.cursor === '' ? null : decodeCursor(q.cursor)
    if (after === null && q.cursor !== undefined && q.cursor !== '') return sendProblem(reply, 'invalid_request', 'query.cursor: not a cursor from this API')
    const status = q.status === undefined || q.status === 'pending' ? 'pending_review' : q.status
    const items = await ctx.store.listClearances(request.auth!.tenantId, { status, limit, after })
    const last = items[items.length - 1]
    return { reviews: items.map(reviewItemView), next_cursor: items.length === limit && last !== undefined ? encodeCursor(last) : null }
  })

  app.post('/reviews/:request_id/decision', { schema: { params: requestIdParams, body: reviewDecisionBody } }, async (request, reply) => {
    const { request_id: requestId } = request.params as { request_id: string }
    const body = request.body as { approved: boolean; review_reason?: string; reviewer_email?: string }
    // The channel is stored with the decision (`api` here), not read from the reviewer; the prefixes
    // stay reserved so a reviewer name never looks like a Slack user or the Vault itself. A session's
    // decision is recorded as its user whatever the body says (decideReview), so its body field is ignored.
    if (request.auth!.user === undefined && body.reviewer_email !== undefined && RESERVED_REVIEWER.test(body.reviewer_email)) {
      return sendProblem(reply, 'invalid_request', 'body.reviewer_email: the "slack:" and "system:" prefixes are reserved for decisions made through Slack and by the Vault itself')
    }
    const outcome = await decideReview(ctx, request.auth!, requestId, {
      approved: body.approved,
      reviewReason: body.review_reason ?? '',
      reviewerEmail: body.reviewer_email ?? '',
    })
    if (!outcome.ok) return sendProblem(reply, outcome.code, outcome.detail)
    return clearanceView(outcome.record)
  })
}
