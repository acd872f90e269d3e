// /users: an admin manages the dashboard users of its own tenant (admin session or admin-role API
// key; registered inside the customer scope, so authentication, CSRF and the viewer rule apply).
// A role change, a disable or a password reset ends every session of that user at once.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { uuidv7 } from '../../../core/index.ts'
import type { DashboardRole, DashboardUserRecord } from '../../../store/index.ts'
import type { AuthContext, VaultContext } from '../../context.ts'
import { sendProblem } from '../../http-errors.ts'
import { MAX_PASSWORD_LENGTH, hashPassword, passwordProblem } from './password.ts'
import type { DashboardAuth } from './service.ts'
import { isEmail, normalizeEmail } from './service.ts'
import { userDetailView } from './views.ts'

const ROLES = ['admin', 'reviewer', 'viewer'] as const
const userIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const
const createBody = {
  type: 'object',
  required: ['email', 'role', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 320 },
    role: { type: 'string', enum: [...ROLES] },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH },
  },
} as const
const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: { role: { type: 'string', enum: [...ROLES] }, disabled: { type: 'boolean' } },
} as const
const resetBody = {
  type: 'object',
  required: ['password'],
  additionalProperties: false,
  properties: { password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } },
} as const

function refuseNonAdmin(auth: AuthContext, reply: FastifyReply): FastifyReply | null {
  return auth.role === 'admin' ? null : sendProblem(reply, 'forbidden', 'managing dashboard users needs an admin (session or admin-role API key)')
}

async function hashOrOverloaded(dashboard: DashboardAuth, password: string, reply: FastifyReply): Promise<string | FastifyReply> {
  const hashed = await dashboard.hashes.run(() => hashPassword(password, dashboard.scrypt))
  return hashed === null ? sendProblem(reply, 'overloaded', 'too many password hashes at once; retry in a second', 1) : hashed.value
}

export function registerUserRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const dashboard = ctx.dashboardAuth
  if (dashboard === undefined) return
  const { store } = ctx

  app.get('/users', async (request, reply) => {
    const auth = request.auth!
    const refused = refuseNonAdmin(auth, reply)
    if (refused !== null) return refused
    return { users: (await store.listDashboardUsers(auth.tenantId)).map(userDetailView) }
  })

  app.post('/users', { schema: { body: createBody } }, async (request, reply) => {
    const auth = request.auth!
    const refused = refuseNonAdmin(auth, reply)
    if (refused !== null) return refused
    const body = request.body as { email: string; role: DashboardRole; password: string }
    const email = normalizeEmail(body.email)
    if (!isEmail(email)) return sendProblem(reply, 'invalid_request', 'body.email: expected an email address')
    const weak = passwordProblem(body.password, email)
    if (weak !== null) return sendProblem(reply, 'password_rejected', weak)
    const hash = await hashOrOverloaded(dashboard, body.password, reply)
    if (typeof hash !== 'string') return hash
    const nowMs = ctx.clock.now()
    const user: DashboardUserRecord = {
      userId: uuidv7(nowMs),
      tenantId: auth.tenantId,
      email,
      role: body.role,
      passwordHash: hash,
      disabledAtMs: null,
      createdAtMs: nowMs,
      passwordChangedAtMs: nowMs,
    }
    const result = await store.write([{ op: 'dashboard_user_insert', user }])
    if (!result.ok) return sendProblem(reply, 'user_exists', `a user ${email} exists in this tenant already`)
    request.log.info({ component: 'dashboard', user_id: user.userId, role: user.role, by: auth.keyId }, 'dashboard user created')
    reply.code(201)
    return { user: userDetailView(user) }
  })

  app.patch('/users/:id', { schema: { params: userIdParams, body: patchBody } }, async (request, reply) => {
    const auth = request.auth!
    const refused = refuseNonAdmin(auth, reply)
    if (refused !== null) return refused
    const { id } = request.params as { id: string }
    const body = request.body as { role?: DashboardRole; disabled?: boolean }
    const user = await store.getDashboardUser(auth.tenantId, id)
    if (user === null) return sendProblem(reply, 'not_found', 'no such user in this tenant')
    const self = auth.user?.userId === user.userId
    if (self && (body.disabled === true || (body.role !== undefined && body.role !== 'admin'))) {
      return sendProblem(reply, 'invalid_request', 'you cannot disable or demote yourself: ask another admin')
    }
    const nowMs = ctx.clock.now()
    const next: DashboardUserRecord = {
      ...user,
      role: body.role ?? user.role,
      disabledAtMs: body.disabled === undefined ? user.disabledAtMs : body.disabled ? (user.disabledAtMs ?? nowMs) : null,
    }
    const endSessions = next.role !== user.role || (next.disabledAtMs !== null && user.disabledAtMs === null)
    const result = await store.write([
      { op: 'dashboard_user_update', user: next },
      ...(endSessions ? [{ op: 'dashboard_sessions_revoke' as const, tenantId: user.tenantId, userId: user.userId, exceptSessionId: null, atMs: nowMs }] : []),
    ])
    if (!result.ok) return sendProblem(reply, 'not_found', 'no such user in this tenant')
    return { user: userDetailView(next), sessions_revoked: endSessions }
  })

  app.post('/users/:id/revoke-sessions', { schema: { params: userIdParams }, config: { allowEmptyBody: true } }, async (request, reply) => {
    const auth = request.auth!
    const refused = refuseNonAdmin(auth, reply)
    if (refused !== null) return refused
    const { id } = request.params as { id: string }
    const user = await store.getDashboardUser(auth.tenantId, id)
    if (user === null) return sendProblem(reply, 'not_found', 'no such user in this tenant')
    const live = await store.listDashboardSessions(user.tenantId, user.userId)
    await store.write([{ op: 'dashboard_sessions_revoke', tenantId: user.tenantId, userId: user.userId, exceptSessionId: null, atMs: ctx.clock.now() }])
    return { revoked: live.filter((s) => dashboard.isLive(s)).length }
  })

  app.post('/users/:id/password', { schema: { params: userIdParams, body: resetBody } }, async (request, reply) => {
    const auth = request.auth!
    const refused = refuseNonAdmin(auth, reply)
    if (refused !== null) return refused
    const { id } = request.params as { id: string }
    const body = request.body as { password: string }
    const user = await store.getDashboardUser(auth.tenantId, id)
    if (user === null) return sendProblem(reply, 'not_found', 'no such user in this tenant')
    const weak = passwordProblem(body.password, user.email)
    if (weak !== null) return sendProblem(reply, 'password_rejected', weak)
    const hash = await hashOrOverloaded(dashboard, body.password, reply)
    if (typeof hash !== 'string') return hash
    const nowMs = ctx.clock.now()
    const next = { ...user, passwordHash: hash, passwordChangedAtMs: nowMs }
    await store.write([
      { op: 'dashboard_user_update', user: next },
      { op: 'dashboard_sessions_revoke', tenantId: user.tenantId, userId: user.userId, exceptSessionId: null, atMs: nowMs },
    ])
    return { user: userDetailView(next), sessions_revoked: true }
  })
}
