// GET /reviews (paged queue, full arguments; ?status= by clearance status or, for the dashboard, by
// review state) and POST /reviews/{request_id}/decision.
import type { FastifyInstance } from 'fastify'
import type { TenantId } from '../../core/index.ts'
import type { ClearanceRecord, ClearanceStatus, ListReviewsQuery } from '../../store/index.ts'
import { clearanceView } from '../clearance.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { decideReview, decodeCursor, encodeCursor, reviewItemView } from '../reviews.ts'
import { requestIdParams, reviewDecisionBody, reviewsQuery } from './schemas.ts'

/** Reviewer prefixes only the Vault records (Slack actions, the expiry sweep); case-blind, leading spaces too. */
const RESERVED_REVIEWER = /^\s*(slack|system):/i

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 500
/**
 * Serialised items per page (issue 16, availability): every item carries the call's full tool_args,
 * up to max_body each, so a limit=500 page could be 500 MiB built in one JSON.stringify (past V8's
 * string limit: a 500, after gigabytes of heap). The page stops at this many bytes with next_cursor,
 * as /ledger does; a single item larger than the bound is still served, alone.
 */
export const MAX_REVIEWS_PAGE_BYTES = 2 * 1024 * 1024
/** Rows per store read: a read is held whole in memory until serialised. */
const READ_CHUNK_ROWS = 16

export function registerReviewRoutes(app: FastifyInstance, ctx: VaultContext): void {
  app.get('/reviews', { schema: { querystring: reviewsQuery } }, async (request, reply) => {
    const q = request.query as { status?: ClearanceStatus | 'all' | 'pending' | 'decided' | 'expired'; limit?: string; cursor?: string }
    const limit = Math.min(MAX_LIMIT, Math.max(1, q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit)))
    const after = q.cursor === undefined || q.cursor === '' ? null : decodeCursor(q.cursor)
    if (after === null && q.cursor !== undefined && q.cursor !== '') return sendProblem(reply, 'invalid_request', 'query.cursor: not a cursor from this API')
    const status = q.status === undefined || q.status === 'pending' ? 'pending_review' : q.status
    const page = await reviewsPage(ctx, request.auth!.tenantId, status, limit, after)
    reply.header('content-type', 'application/json; charset=utf-8')
    return page
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

/**
 * The `{"reviews":[…],"next_cursor":…}` body, read a chunk of rows at a time and cut at
 * MAX_REVIEWS_PAGE_BYTES; `next_cursor` whenever more may follow (the row limit or the byte bound).
 */
async function reviewsPage(
  ctx: VaultContext,
  tenantId: TenantId,
  status: ListReviewsQuery['status'],
  limit: number,
  after: ListReviewsQuery['after'],
): Promise<string> {
  const parts: string[] = []
  let bytes = 0
  let last: ClearanceRecord | null = null
  let cut = false
  let cursor = after
  while (parts.length < limit && !cut) {
    const want = Math.min(READ_CHUNK_ROWS, limit - parts.length)
    const rows = await ctx.store.listClearances(tenantId, { status, limit: want, after: cursor })
    for (const row of rows) {
      const json = JSON.stringify(reviewItemView(row))
      if (parts.length > 0 && bytes + json.length > MAX_REVIEWS_PAGE_BYTES) {
        cut = true
        break
      }
      parts.push(json)
      bytes += json.length
      last = row
    }
    if (rows.length < want) break
    cursor = last === null ? cursor : { createdAtMs: last.createdAtMs, requestId: last.requestId }
  }
  const more = last !== null && (cut || parts.length === limit)
  return `{"reviews":[${parts.join(',')}],"next_cursor":${more ? JSON.stringify(encodeCursor(last!)) : 'null'}}`
}
