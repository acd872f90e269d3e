// Drift endpoints (Vault API reference, "Drift detection"): settings that really drive the monitor,
// the per-agent summary, the paginated event list, and lockdown. Reads are open to every role;
// settings need an admin key; any role may lock (failing closed is always allowed), releasing needs a
// reviewer or admin key and a reason. Every lock and release is ledgered with who and why.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { uuidv7 } from '../../core/index.ts'
import { LEVELS, manualEventView, mergeDriftSettings, summaryView } from '../../drift/index.ts'
import type { AgentLockView } from '../../drift/index.ts'
import type { AgentLockRecord, WriteOp } from '../../store/index.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { agentLockEvent } from '../../notify/index.ts'
import { appendDriftEntry } from '../drift-ledger.ts'
import { liveEventOf } from '../live-event-body.ts'
import { sendProblem } from '../http-errors.ts'
import { agentIdParams } from './schemas.ts'

type Body = Record<string, unknown>

const DEFAULT_LIMIT = 50
const MAX_LIMIT = 500
const MAX_TEXT = 4000

function actorOf(auth: AuthContext, body: Body | null): string {
  const who = `${auth.role}:${auth.keyName}`
  return body !== null && typeof body.actor === 'string' && body.actor !== '' ? `${body.actor} (${who})` : who
}

/** The lockdown bodies are optional JSON objects (the docs send none), checked here field by field. */
function lockBodyProblem(body: unknown): string | null {
  if (body === null) return null
  if (typeof body !== 'object' || Array.isArray(body)) return 'body: expected a JSON object'
  const b = body as Body
  for (const field of ['reason', 'actor'] as const) {
    const v = b[field]
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_TEXT)) return `body.${field}: expected a string of at most ${MAX_TEXT} characters`
  }
  if (b.rebaseline !== undefined && typeof b.rebaseline !== 'boolean') return 'body.rebaseline: expected a boolean'
  return null
}

function limitOf(raw: unknown): number | null {
  if (raw === undefined) return DEFAULT_LIMIT
  if (typeof raw !== 'string' || !/^[0-9]{1,4}$/.test(raw)) return null
  const n = Number(raw)
  return n >= 1 && n <= MAX_LIMIT ? n : null
}

function lockView(lock: AgentLockRecord, eventId: string | null): Record<string, unknown> {
  return { agent_id: lock.agentId, locked: lock.locked, actor: lock.actor, reason: lock.reason, changed_at: new Date(lock.changedAtMs).toISOString(), event_id: eventId }
}

export function registerDriftRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const { store, drift } = ctx

  app.get('/drift/settings', async (request) => drift.settingsFor(request.auth!.tenantId))
  app.put('/drift/settings', async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'changing drift settings needs an admin-role API key')
    const previous = await drift.settingsFor(auth.tenantId)
    const next = mergeDriftSettings(previous, request.body ?? null)
    if (typeof next === 'string') return sendProblem(reply, 'invalid_request', next)
    // The parameters a detection ran with are evidence too: every change is a drift event and a ledger
    // row, committed with the settings themselves.
    const nowMs = ctx.clock.now()
    const eventId = `dre_${uuidv7(nowMs)}`
    const actor = actorOf(auth, null)
    const body = {
      event_id: eventId, type: 'drift.settings_changed', agent_id: '*', at: new Date(nowMs).toISOString(), level: 'normal',
      previous_level: 'normal', score: 0, priority: 0, mode: next.mode, action: 'none', corroborated: false, baseline: null,
      window: null, reasons: [], actor, reason: null, settings: next, previous_settings: previous, ledger_request_id: eventId,
    }
    const text = `Drift settings changed by ${actor}: enabled ${String(next.enabled)}, mode ${next.mode}, thresholds ${next.thresholds.watch}/${next.thresholds.alert}/${next.thresholds.critical}.`
    const put = { op: 'settings_put' as const, tenantId: auth.tenantId, kind: 'drift' as const, valueJson: JSON.stringify(next), atMs: nowMs }
    await appendDriftEntry(ctx.ledger, { tenantId: auth.tenantId, eventId, type: 'drift.settings_changed', agentId: '*', atMs: nowMs, level: 'normal', score: 0, body, text }, null, [put])
    return next
  })

  app.get('/drift/summary', async (request, reply) => {
    const auth = request.auth!
    const limit = limitOf((request.query as Body).limit)
    if (limit === null) return sendProblem(reply, 'invalid_request', `query.limit: expected an integer in [1, ${MAX_LIMIT}]`)
    // Fold what is queued first, so a summary read right after a burst reflects it.
    await drift.drain()
    const settings = await drift.settingsFor(auth.tenantId)
    const states = drift.agentsOf(auth.tenantId)
    const locks = new Map<string, AgentLockView>()
    for (const s of states) {
      const lock = await store.getAgentLock(auth.tenantId, s.agentId)
      if (lock !== null) locks.set(s.agentId, lock)
    }
    return summaryView(ctx.clock.now(), settings, states, locks, limit)
  })

  app.get('/drift/events', async (request, reply) => {
    const auth = request.auth!
    const q = request.query as Body
    const limit = limitOf(q.limit)
    if (limit === null) return sendProblem(reply, 'invalid_request', `query.limit: expected an integer in [1, ${MAX_LIMIT}]`)
    const agentId = q.agent_id
    if (agentId !== undefined && (typeof agentId !== 'string' || agentId === '' || agentId.length > 256)) {
      return sendProblem(reply, 'invalid_request', 'query.agent_id: expected 1-256 characters')
    }
    const level = q.level
    if (level !== undefined && !(LEVELS as readonly unknown[]).includes(level)) {
      return sendProblem(reply, 'invalid_request', `query.level: expected one of ${LEVELS.join(', ')}`)
    }
    const cursor = q.cursor
    if (cursor !== undefined && (typeof cursor !== 'string' || !/^[1-9][0-9]{0,15}$/.test(cursor))) {
      return sendProblem(reply, 'invalid_request', 'query.cursor: not a cursor from this API')
    }
    await drift.drain()
    const rows = await store.listDriftEvents(auth.tenantId, {
      agentId: (agentId as string | undefined) ?? null,
      level: (level as string | undefined) ?? null,
      before: cursor === undefined ? null : Number(cursor),
      limit,
    })
    const last = rows[rows.length - 1]
    return { events: rows.map((r) => JSON.parse(r.bodyJson) as unknown), next_cursor: rows.length === limit && last !== undefined ? String(last.seq) : null }
  })

  const lockRoute = { schema: { params: agentIdParams }, config: { allowEmptyBody: true } }
  app.post('/drift/agents/:agent_id/lockdown', lockRoute, (request, reply) => setLock(ctx, request, reply, true))
  app.delete('/drift/agents/:agent_id/lockdown', lockRoute, (request, reply) => setLock(ctx, request, reply, false))
}

async function setLock(ctx: VaultContext, request: FastifyRequest, reply: FastifyReply, locked: boolean): Promise<unknown> {
  const auth = request.auth!
  if (!locked && auth.role === 'agent') return sendProblem(reply, 'forbidden', 'releasing a lockdown needs a reviewer or admin key: release is a human act')
  const { agent_id: agentId } = request.params as { agent_id: string }
  const body = (request.body ?? null) as Body | null
  const problem = lockBodyProblem(body)
  if (problem !== null) return sendProblem(reply, 'invalid_request', problem)
  const reason = body !== null && typeof body.reason === 'string' ? body.reason.trim() : ''
  if (!locked && reason === '') return sendProblem(reply, 'invalid_request', 'body.reason: releasing a lockdown needs a non-empty reason (it is ledgered)')
  const current = await ctx.store.getAgentLock(auth.tenantId, agentId)
  // Idempotent lock: a second lock returns the lock in force, without a second ledger row.
  if (locked && current !== null && current.locked) return lockView(current, null)
  if (!locked && (current === null || !current.locked)) return sendProblem(reply, 'not_found', `agent "${agentId}" is not locked down`)

  const nowMs = ctx.clock.now()
  const lock: AgentLockRecord = { tenantId: auth.tenantId, agentId, locked, actor: actorOf(auth, body), reason, changedAtMs: nowMs }
  const eventId = `dre_${uuidv7(nowMs)}`
  const type = locked ? 'drift.lockdown' : 'drift.release'
  const settings = await ctx.drift.settingsFor(auth.tenantId)
  const state = ctx.drift.agent(auth.tenantId, agentId)
  const view = manualEventView(eventId, type, agentId, nowMs, state, settings.mode, lock.actor, reason)
  const text = locked
    ? `Agent "${agentId}" locked down by ${lock.actor}: ${reason || 'no reason given'}.`
    : `Agent "${agentId}" released by ${lock.actor}: ${reason}.`
  const alongWith: WriteOp[] = []
  // Notification outbox rows (agent.locked / agent.released) commit with the lock (issue 17); the
  // live stream gets the same event once that write committed.
  const event = agentLockEvent(lock, nowMs)
  if (ctx.notify !== null) await ctx.notify.notifier.appendEventOps(alongWith, event, nowMs)
  await appendDriftEntry(ctx.ledger, { tenantId: auth.tenantId, eventId, type, agentId, atMs: nowMs, level: String(view.level), score: Number(view.score), body: view, text }, lock, alongWith)
  ctx.live.publish(liveEventOf(event))
  if (!locked) await ctx.drift.released(auth.tenantId, agentId, body?.rebaseline === true, nowMs)
  return lockView(lock, eventId)
}
