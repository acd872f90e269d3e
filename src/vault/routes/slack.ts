// POST /integrations/slack/actions: Approve/Deny clicked in Slack (the optional Slack app mode). The
// request must carry a valid X-Slack-Signature for the tenant's signing secret, inside the 5-minute
// window and not seen before, else 401 and nothing is decided. The Slack user must be on the
// tenant's reviewer allow-list. The decision goes through decideReview, the same code as
// POST /reviews/{id}/decision, recorded as `slack:<user>`; the original message is then updated.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiKeyId } from '../../core/index.ts'
import {
  isSlackReviewer,
  parseSlackAction,
  reviewEvent,
  slackNote,
  slackResolvedMessage,
  slackReviewerName,
} from '../../notify/index.ts'
import type { NotifyService, SlackAction } from '../../notify/index.ts'
import type { ClearanceRecord } from '../../store/index.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { decideReview } from '../reviews.ts'

// Slack's payloads are a few kilobytes; anything near this is not from Slack.
const SLACK_BODY_LIMIT_BYTES = 256 * 1024

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function outcomeText(c: ClearanceRecord): string {
  if (c.reviewState === 'expired') return `Expired without a decision (${c.status})`
  if (c.status === 'approved' || c.status === 'denied') return `${c.status === 'approved' ? 'Approved' : 'Denied'} by ${c.reviewer ?? 'unknown'}`
  return c.status
}

/**
 * Replies in the HTTP answer and at response_url (where Slack reads message updates), the latter
 * without waiting: Slack wants the 200 within 3 s.
 */
function answer(notify: NotifyService, reply: FastifyReply, action: SlackAction, message: unknown): FastifyReply {
  if (action.responseUrl !== null) void notify.replyToSlack(action.responseUrl, message).catch(() => undefined)
  return reply.code(200).send(message)
}

export function registerSlackRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const notify = ctx.notify
  if (notify === null) return
  void app.register(async (scope) => {
    // Slack posts application/x-www-form-urlencoded; the signature covers the exact raw text.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: SLACK_BODY_LIMIT_BYTES }, (_req, body, done) => {
      done(null, body)
    })
    scope.post('/integrations/slack/actions', async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : ''
      const action = parseSlackAction(raw)
      if (action === null) return sendProblem(reply, 'slack_signature_invalid', 'not a signed Slack block action for a Ledgix review')
      const { doc } = await notify.notifier.settingsOf(action.tenantId)
      const app = doc.slack_app
      const verdict = app.enabled
        ? notify.slackVerifier.verify(app.signing_secret, header(request, 'x-slack-request-timestamp'), header(request, 'x-slack-signature'), raw, ctx.clock.now())
        : 'missing'
      if (verdict !== 'ok') return sendProblem(reply, 'slack_signature_invalid', `Slack request rejected (${verdict}); nothing was decided`)
      if (!isSlackReviewer(app, action)) {
        return answer(notify, reply, action, slackNote('You are not on the reviewer list for Ledgix approvals; nothing was decided.'))
      }
      const auth: AuthContext = { tenantId: action.tenantId, keyId: 'slack-app' as ApiKeyId, role: 'reviewer', keyName: 'slack' }
      const outcome = await decideReview(ctx, auth, action.requestId, { approved: action.approved, reviewReason: '', reviewerEmail: slackReviewerName(action), channel: 'slack' })
      if (outcome.ok) {
        const event = reviewEvent('review.decided', outcome.record, ctx.clock.now(), notify.config.publicUrl)
        return answer(notify, reply, action, slackResolvedMessage(event, `${action.approved ? 'Approved' : 'Denied'} by <@${action.userId}> via Slack`))
      }
      const current = await ctx.store.getClearance(action.tenantId, action.requestId)
      if (outcome.code === 'review_already_decided' && current !== null) {
        // Decided elsewhere (API, another click) or expired: the message shows who, and the clicker is told.
        if (action.responseUrl !== null) {
          const event = reviewEvent('review.decided', current, ctx.clock.now(), notify.config.publicUrl)
          void notify.replyToSlack(action.responseUrl, slackResolvedMessage(event, outcomeText(current))).catch(() => undefined)
        }
        return reply.code(200).send(slackNote(`This review was already decided: ${outcomeText(current)}. Nothing was changed.`))
      }
      return answer(notify, reply, action, slackNote(`Nothing was decided: ${outcome.detail}.`))
    })
  })
}
