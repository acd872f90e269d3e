// Notification settings and operations: GET/PUT /notification-settings (the seed's four fields kept,
// `channels` and `slack_app` beside them; secrets masked in every answer, sealed at rest), the
// per-channel test send, and the delivery list with dead-letter retry. Delivery itself is src/notify.
import type { FastifyInstance } from 'fastify'
import { maskedDocument, mergeDocument, sealDocument } from '../../notify/index.ts'
import type { OutboxRecord, OutboxStatus } from '../../store/index.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { notificationSettingsBody } from './schemas.ts'

const STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'dead']
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 500

function iso(ms: number | null): string | null {
  return ms === null || ms === 0 ? null : new Date(ms).toISOString()
}

/** A delivery as operators see it: routing and outcome, never the payload (it holds tool_args). */
function deliveryView(r: OutboxRecord): Record<string, unknown> {
  return {
    delivery_id: r.deliveryId,
    event_id: r.eventId,
    event_type: r.eventType,
    channel_id: r.channelId,
    channel_type: r.channelType,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.status === 'pending' ? iso(r.nextAttemptAtMs) : null,
    last_status_code: r.lastStatusCode,
    last_error: r.lastError,
    created_at: iso(r.createdAtMs),
    updated_at: iso(r.updatedAtMs),
    delivered_at: iso(r.deliveredAtMs),
  }
}

export function registerNotificationRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const notify = ctx.notify
  if (notify === null) return
  const { store } = ctx

  app.get('/notification-settings', async (request) => maskedDocument((await notify.notifier.settingsOf(request.auth!.tenantId)).doc))

  app.put('/notification-settings', { schema: { body: notificationSettingsBody } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'changing notification settings needs an admin-role API key')
    const { doc } = await notify.notifier.settingsOf(auth.tenantId)
    const next = mergeDocument(doc, request.body as Record<string, unknown>, notify.config.allowPrivateTargets)
    if (typeof next === 'string') return sendProblem(reply, 'invalid_request', next)
    const valueJson = JSON.stringify(sealDocument(next, notify.notifier.box))
    await store.write([{ op: 'settings_put', tenantId: auth.tenantId, kind: 'notification', valueJson, atMs: ctx.clock.now() }])
    return maskedDocument(next)
  })

  app.post('/notification-settings/test', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'sending test notifications needs an admin-role API key')
    return { channels: await notify.sendTest(auth.tenantId) }
  })

  app.get('/notifications/deliveries', async (request, reply) => {
    const q = request.query as { status?: string; limit?: string }
    const status = q.status === undefined || q.status === '' || q.status === 'all' ? null : (q.status as OutboxStatus)
    if (status !== null && !STATUSES.includes(status)) return sendProblem(reply, 'invalid_request', 'query.status: expected pending, delivered, dead or all')
    const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit)
    if (!Number.isInteger(limit) || limit < 1) return sendProblem(reply, 'invalid_request', 'query.limit: expected a positive integer')
    const rows = await store.listOutbox(request.auth!.tenantId, status, Math.min(MAX_LIMIT, limit))
    return { deliveries: rows.map(deliveryView) }
  })

  app.post('/notifications/deliveries/:delivery_id/retry', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role === 'agent') return sendProblem(reply, 'forbidden', 'retrying deliveries needs a reviewer or admin key')
    const { delivery_id: deliveryId } = request.params as { delivery_id: string }
    const row = await store.getOutbox(deliveryId)
    if (row === null || row.tenantId !== auth.tenantId) return sendProblem(reply, 'not_found', 'no such delivery')
    if (row.status !== 'dead') return sendProblem(reply, 'invalid_request', `delivery is ${row.status}; only dead-lettered deliveries can be retried`)
    const result = await store.write([{ op: 'outbox_retry', tenantId: auth.tenantId, deliveryId, atMs: ctx.clock.now() }])
    if (!result.ok) return sendProblem(reply, 'invalid_request', 'delivery changed state concurrently; list it again')
    const updated = await store.getOutbox(deliveryId)
    return deliveryView(updated ?? row)
  })
}
