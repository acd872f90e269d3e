// Tenant settings (review threshold, notifications, drift) and drift lockdown. Reads are open to every
// role; writes need an admin key (an agent must not lower its own review threshold), and releasing a
// lockdown needs a reviewer or admin key. Lock and release are recorded with who and why.
import type { FastifyInstance } from 'fastify'
import type { WriteOp } from '../../store/index.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import {
  DEFAULT_DRIFT,
  readJsonSettings,
  readReviewSettings,
  reviewSettingsFor,
  scoreForBucket,
} from '../tenant-settings.ts'
import type { ConfidenceBucket } from '../policy/index.ts'
import { agentIdParams, driftSettingsBody, reviewSettingsBody } from './schemas.ts'

type Body = Record<string, unknown>

function actorOf(auth: AuthContext, body: Body | null): string {
  const who = `${auth.role}:${auth.keyName}`
  return body !== null && typeof body.actor === 'string' && body.actor !== '' ? `${body.actor} (${who})` : who
}

/** The lockdown body is optional (the docs send none), so it is checked here rather than by schema. */
function lockdownProblem(body: Body | null): string | null {
  if (body === null) return null
  if (typeof body !== 'object' || Array.isArray(body)) return 'body: expected a JSON object'
  for (const field of ['reason', 'actor'] as const) {
    const v = body[field]
    if (v !== undefined && (typeof v !== 'string' || v.length > 4000)) return `body.${field}: expected a string of at most 4000 characters`
  }
  return null
}

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

  // GET/PUT /notification-settings: routes/notifications.ts (masking, sealing, channel list).

  app.get('/drift/settings', async (request) => readJsonSettings(store, request.auth!.tenantId, 'drift', DEFAULT_DRIFT))
  app.put('/drift/settings', { schema: { body: driftSettingsBody } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'changing drift settings needs an admin-role API key')
    const current = await readJsonSettings(store, auth.tenantId, 'drift', DEFAULT_DRIFT)
    const body = request.body as Partial<typeof DEFAULT_DRIFT>
    const next = {
      enabled: body.enabled ?? current.enabled,
      auto_lockdown: body.auto_lockdown ?? current.auto_lockdown,
      threshold: body.threshold ?? current.threshold,
    }
    await store.write([{ op: 'settings_put', tenantId: auth.tenantId, kind: 'drift', valueJson: JSON.stringify(next), atMs: ctx.clock.now() }])
    return next
  })

  const lockRoute = { schema: { params: agentIdParams }, config: { allowEmptyBody: true } }
  for (const locked of [true, false]) {
    const handler = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply): Promise<unknown> => {
      const auth = request.auth!
      if (!locked && auth.role === 'agent') return sendProblem(reply, 'forbidden', 'releasing a lockdown needs a reviewer or admin key')
      const { agent_id: agentId } = request.params as { agent_id: string }
      const body = (request.body ?? null) as Body | null
      const problem = lockdownProblem(body)
      if (problem !== null) return sendProblem(reply, 'invalid_request', problem)
      const reason = body !== null && typeof body.reason === 'string' ? body.reason : ''
      const lock = { tenantId: auth.tenantId, agentId, locked, actor: actorOf(auth, body), reason, changedAtMs: ctx.clock.now() }
      const ops: WriteOp[] = [{ op: 'agent_lock_put', lock }]
      // Notification outbox rows (agent.locked / agent.released) commit with the lock (issue 17).
      if (ctx.notify !== null) await ctx.notify.notifier.appendLockOps(ops, lock, lock.changedAtMs)
      await store.write(ops)
      return { agent_id: agentId, locked, actor: lock.actor, reason, changed_at: new Date(lock.changedAtMs).toISOString() }
    }
    if (locked) app.post('/drift/agents/:agent_id/lockdown', lockRoute, handler)
    else app.delete('/drift/agents/:agent_id/lockdown', lockRoute, handler)
  }
}
