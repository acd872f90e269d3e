// The public shared-report routes (no API key): GET /reports/shared/{token} and its artifacts. One
// identical 404 for a malformed, unknown, expired or revoked token (no oracle); every answer carries
// no-store, no-referrer and noindex headers; every successful view is logged with a coarse IP prefix.
// The access log records the route pattern, never the token (server.ts logVaultRequest).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hashShareToken, ipPrefixOf, isShareTokenShaped } from '../../reports/index.ts'
import type { ReportFormat, ReportRecord, ReportShareRecord } from '../../store/index.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { RateLimiter } from '../rate-limit.ts'
import { reportView, sendArtifact } from '../report-views.ts'

/**
 * Per client IP on the public routes, whatever the Vault's own rate_limit: 30 requests a minute with a
 * burst of 10 (design notes C3). Guessing a 256-bit token is hopeless anyway; this bounds the store
 * reads and view-log writes an anonymous client can cause.
 */
const SHARED_RATE = { requestsPerSecond: 0.5, burst: 10 }

const NOT_SHARED = 'no shared report at this link (it may have expired or been revoked)'

function hardened(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-robots-tag', 'noindex, nofollow')
    .header('x-content-type-options', 'nosniff')
}

async function resolveShare(ctx: VaultContext, request: FastifyRequest): Promise<{ share: ReportShareRecord; report: ReportRecord } | null> {
  const { token } = request.params as { token: string }
  if (!isShareTokenShaped(token)) return null
  const share = await ctx.store.findReportShareByHash(hashShareToken(token))
  if (share === null || share.revokedAtMs !== null || share.expiresAtMs <= ctx.clock.now()) return null
  const report = await ctx.store.getReport(share.tenantId, share.reportId)
  return report === null || report.status !== 'ready' ? null : { share, report }
}

async function logView(ctx: VaultContext, request: FastifyRequest, shareId: string, target: string): Promise<void> {
  const result = await ctx.store.write([{ op: 'report_share_view', view: { shareId, atMs: ctx.clock.now(), target, ipPrefix: ipPrefixOf(request.ip) } }])
  if (!result.ok) throw new Error('share view log refused')
}

function limited(limiter: RateLimiter, ctx: VaultContext, request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
  const wait = limiter.take(request.ip, ctx.clock.now())
  return wait === 0 ? null : sendProblem(reply, 'rate_limited', 'too many requests for shared reports from this address', wait)
}

export function registerSharedReportRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const limiter = new RateLimiter(SHARED_RATE)
  app.get('/reports/shared/:token', async (request, reply) => {
    hardened(reply)
    const slow = limited(limiter, ctx, request, reply)
    if (slow !== null) return slow
    const found = await resolveShare(ctx, request)
    if (found === null) return sendProblem(reply, 'not_found', NOT_SHARED)
    await logView(ctx, request, found.share.shareId, 'record')
    const { token } = request.params as { token: string }
    const checkpoint = (reportView(found.report, '').anchor ?? null) as { signer_key_id?: unknown } | null
    return {
      ...reportView(found.report, `/reports/shared/${token}`),
      shared: { expires_at: new Date(found.share.expiresAtMs).toISOString(), recipient_label: found.share.recipientLabel },
      // What a reviewer needs to check the report offline: the keys and the ledger row's proof.
      verification: {
        jwks: '/.well-known/jwks.json',
        signer_key_id: checkpoint?.signer_key_id ?? null,
        ledger_request_id: found.report.reportId,
        command: `ledgix-gateway report verify ${found.report.reportId}.json --bundle bundle.json --jwks jwks.json`,
      },
    }
  })

  app.get('/reports/shared/:token/artifacts/:format', async (request, reply) => {
    hardened(reply)
    const slow = limited(limiter, ctx, request, reply)
    if (slow !== null) return slow
    const found = await resolveShare(ctx, request)
    if (found === null) return sendProblem(reply, 'not_found', NOT_SHARED)
    const { format } = request.params as { format: string }
    const artifact = (found.report.formats as string[]).includes(format) ? await ctx.store.getReportArtifact(found.report.tenantId, found.report.reportId, format as ReportFormat) : null
    if (artifact === null) return sendProblem(reply, 'not_found', NOT_SHARED)
    await logView(ctx, request, found.share.shareId, format)
    return sendArtifact(reply, found.report.reportId, artifact)
  })
}
