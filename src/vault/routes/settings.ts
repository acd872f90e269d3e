// Tenant review settings (the threshold). Reads are open to every role; writes need an admin key (an
// agent must not lower its own review threshold). Drift settings and lockdown live in routes/drift.ts,
// notification settings in routes/notifications.ts.
import type { FastifyInstance } from 'fastify'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { readReviewSettings, reviewSettingsFor, scoreForBucket } from '../tenant-settings.ts'
import type { ConfidenceBucket } from '../policy/index.ts'
import { reviewSettingsBody } from './schemas.ts'

export function registerSettingsRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const { store, config } = ctx

  app.get('/review-settings', async (request) => readReviewSettings(store, request.auth!.tenantId, config.minimumConfidenceScore))
  app.put('/review-settings', { schema: { body: reviewSettingsBody } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'changing review settings needs an admin-role API key')
    const body = request.body as { minimum_confidence_score?: number; minimum_confidence_bucket?: ConfidenceBucket }
    let score: number
    if (body.minimum_confidence_score !== undefined) score = body.minimum_confidence_score
    else if (body.minimum_confidence_bucket !== undefined) score = scoreForBucket(body.minimum_confidence_bucket)
    else return sendProblem(reply, 'invalid_request', 'body: send minimum_confidence_score or minimum_confidence_bucket')
    const next = reviewSettingsFor(score)
    if (body.minimum_confidence_score === undefined && body.minimum_confidence_bucket !== undefined) next.minimum_confidence_bucket = body.minimum_confidence_bucket
    await store.write([{ op: 'settings_put', tenantId: auth.tenantId, kind: 'review', valueJson: JSON.stringify(next), atMs: ctx.clock.now() }])
    return next
  })
}
