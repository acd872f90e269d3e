// /ui/api/*: the dashboard's own session endpoints (docs/design/dashboard.md §1). Anonymous callers
// reach GET /ui/api/session, setup and login; the rest need a live session and, when they change
// state, the CSRF checks. Login: per-IP and per-account throttles, one generic 401, a KDF run for
// unknown users too, a new token every time (a token planted before login is dropped, never kept).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { uuidv7 } from '../../../core/index.ts'
import type { TenantId } from '../../../core/index.ts'
import type { DashboardUserRecord, WriteOp } from '../../../store/index.ts'
import type { VaultContext } from '../../context.ts'
import { sendProblem } from '../../http-errors.ts'
import { csrfProblem, foreignOriginProblem } from './csrf.ts'
import { hashPassword, passwordProblem, verifyPassword, MAX_PASSWORD_LENGTH } from './password.ts'
import type { DashboardAuth, ResolvedSession } from './service.ts'
import { SETUP_TENANT, isEmail, isSetupRequired, normalizeEmail } from './service.ts'
import { resolveRequestSession } from './session-auth.ts'
import { clearedSessionCookie, clientIp, sessionCookie, transportOf } from './transport.ts'
import { sessionView, userView } from './views.ts'
import type { UserView } from './views.ts'

export interface SessionBoot {
  user: UserView | null
  csrf_token: string | null
  setup_required: boolean
  server_time: string
}

/** The boot JSON of the app (GET /ui/api/session and the /ui/ page's `<script id="boot">`). */
export async function sessionBoot(ctx: VaultContext, request: FastifyRequest): Promise<SessionBoot> {
  const dashboard = ctx.dashboardAuth
  const resolved = dashboard === undefined ? null : await resolveRequestSession(dashboard, request.raw)
  return {
    user: resolved === null ? null : userView(resolved.user),
    csrf_token: resolved === null || dashboard === undefined ? null : dashboard.csrfToken(resolved.session.sessionId),
    setup_required: resolved === null ? await isSetupRequired(ctx.store) : false,
    server_time: new Date(ctx.clock.now()).toISOString(),
  }
}

const password = { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } as const
const email = { type: 'string', minLength: 3, maxLength: 320 } as const
const tenantId = { type: 'string', minLength: 1, maxLength: 128 } as const

const setupBody = {
  type: 'object',
  required: ['setup_token', 'email', 'password'],
  additionalProperties: false,
  properties: { setup_token: { type: 'string', minLength: 1, maxLength: 256 }, email, password },
} as const
const loginBody = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: { email, password, tenant_id: tenantId },
} as const
const passwordBody = {
  type: 'object',
  required: ['current_password', 'new_password'],
  additionalProperties: false,
  properties: { current_password: password, new_password: password },
} as const

const LOGIN_FAILED = 'the email or password is wrong, or the account is disabled'
const NO_STORE = 'no-store'

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', NO_STORE)
}

/** Transport and origin checks of setup and login (no session yet, so no CSRF token: Fetch Metadata / Origin only). */
function refuseAnonymousPost(dashboard: DashboardAuth, request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
  const transport = transportOf(request.raw, dashboard.config)
  if (!transport.ok) {
    return sendProblem(reply, 'insecure_transport', 'open the dashboard over HTTPS or on a loopback host (or set vault_server.dashboard.allow_insecure_http for a lab)')
  }
  const origin = foreignOriginProblem(request.raw, dashboard.config)
  return origin === null ? null : sendProblem(reply, 'csrf_rejected', origin)
}

/** Sets the cookie of a new session and answers the user and its CSRF token. */
function startedSession(dashboard: DashboardAuth, request: FastifyRequest, reply: FastifyReply, user: DashboardUserRecord, token: string, sessionId: string): Record<string, unknown> {
  const transport = transportOf(request.raw, dashboard.config)
  reply.header('set-cookie', sessionCookie(token, transport.ok && transport.secure, dashboard.cookieMaxAgeSeconds))
  noStore(reply)
  return { user: userView(user), csrf_token: dashboard.csrfToken(sessionId) }
}

/** The live session of a /ui/api call, with CSRF when it changes state; null after answering 401/403. */
async function requireSession(dashboard: DashboardAuth, request: FastifyRequest, reply: FastifyReply, stateChanging: boolean): Promise<ResolvedSession | null> {
  const resolved = await resolveRequestSession(dashboard, request.raw)
  if (resolved === null) {
    sendProblem(reply, 'session_invalid', 'log in first: no live dashboard session')
    return null
  }
  if (stateChanging) {
    const problem = csrfProblem(request.raw, dashboard.config, dashboard.csrfKey, resolved.session.sessionId)
    if (problem !== null) {
      sendProblem(reply, 'csrf_rejected', problem)
      return null
    }
  }
  return resolved
}

export function registerDashboardAuthRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const dashboard = ctx.dashboardAuth
  if (dashboard === undefined) return
  const { store } = ctx

  app.get('/ui/api/session', async (request, reply) => {
    noStore(reply)
    return sessionBoot(ctx, request)
  })

  app.post('/ui/api/setup', { schema: { body: setupBody } }, async (request, reply) => {
    const refused = refuseAnonymousPost(dashboard, request, reply)
    if (refused !== null) return refused
    const body = request.body as { setup_token: string; email: string; password: string }
    if ((await store.getDashboardBootstrap(SETUP_TENANT)) !== null) return sendProblem(reply, 'setup_done', 'the first admin exists: log in instead')
    if (!dashboard.checkSetupToken(body.setup_token)) {
      return sendProblem(reply, 'setup_token_invalid', 'use the setup token the server printed at start (also in data_dir/setup-token)')
    }
    const address = normalizeEmail(body.email)
    if (!isEmail(address)) return sendProblem(reply, 'invalid_request', 'body.email: expected an email address')
    const weak = passwordProblem(body.password, address)
    if (weak !== null) return sendProblem(reply, 'password_rejected', weak)
    const hashed = await dashboard.hashes.run(() => hashPassword(body.password, dashboard.scrypt))
    if (hashed === null) return sendProblem(reply, 'overloaded', 'too many password checks at once; retry in a second', 1)
    const nowMs = ctx.clock.now()
    const user: DashboardUserRecord = {
      userId: uuidv7(nowMs),
      tenantId: SETUP_TENANT,
      email: address,
      role: 'admin',
      passwordHash: hashed.value,
      disabledAtMs: null,
      createdAtMs: nowMs,
      passwordChangedAtMs: nowMs,
    }
    const started = dashboard.newSession(user, request.raw)
    const result = await store.write([
      { op: 'tenant_insert', tenant: { tenantId: SETUP_TENANT, name: 'default', createdAtMs: nowMs }, ifMissing: true },
      { op: 'dashboard_bootstrap_claim', bootstrap: { tenantId: SETUP_TENANT, userId: user.userId, claimedAtMs: nowMs } },
      { op: 'dashboard_user_insert', user },
      started.op,
    ])
    if (!result.ok) {
      if (result.opName === 'dashboard_bootstrap_claim') return sendProblem(reply, 'setup_done', 'the first admin was just created by another request: log in instead')
      return sendProblem(reply, 'user_exists', 'a user with this email exists already: log in instead')
    }
    await dashboard.setupDone()
    request.log.info({ component: 'dashboard', user_id: user.userId }, 'dashboard setup done: first admin created')
    reply.code(201)
    return startedSession(dashboard, request, reply, user, started.token, started.session.sessionId)
  })

  app.post('/ui/api/login', { schema: { body: loginBody } }, async (request, reply) => {
    const refused = refuseAnonymousPost(dashboard, request, reply)
    if (refused !== null) return refused
    const body = request.body as { email: string; password: string; tenant_id?: string }
    const ip = clientIp(request.raw, dashboard.config)
    const ipWait = dashboard.ipLimit.waitSeconds(ip)
    if (ipWait > 0) return sendProblem(reply, 'rate_limited', `too many login attempts from this address; retry in ${ipWait}s`, ipWait)
    dashboard.ipLimit.hit(ip)
    const tenant = (body.tenant_id ?? SETUP_TENANT) as TenantId
    const address = normalizeEmail(body.email)
    const account = `${tenant}\u0000${address}`
    const accountWait = dashboard.accountLimit.waitSeconds(account)
    if (accountWait > 0) return sendProblem(reply, 'rate_limited', `too many failed logins for this account; retry in ${accountWait}s`, accountWait)
    const user = await store.findDashboardUserByEmail(tenant, address)
    // Unknown users cost one KDF run against a dummy hash: same work, same answer (no user enumeration).
    const checked = await dashboard.hashes.run(async () => {
      const verdict = await verifyPassword(body.password, user?.passwordHash ?? (await dashboard.dummyHash()), dashboard.scrypt)
      const rehash = user !== null && verdict.ok && verdict.needsRehash ? await hashPassword(body.password, dashboard.scrypt) : null
      return { ok: verdict.ok, rehash }
    })
    if (checked === null) return sendProblem(reply, 'overloaded', 'too many password checks at once; retry in a second', 1)
    if (user === null || !checked.value.ok || user.disabledAtMs !== null) {
      dashboard.accountLimit.hit(account)
      request.log.warn({ component: 'dashboard', ip, tenant_id: tenant }, 'dashboard login failed')
      return sendProblem(reply, 'login_failed', LOGIN_FAILED)
    }
    const ops: WriteOp[] = []
    const current = checked.value.rehash === null ? user : { ...user, passwordHash: checked.value.rehash }
    if (checked.value.rehash !== null) ops.push({ op: 'dashboard_user_update', user: current })
    // Session fixation: whatever session cookie came with the login is ended, and a new token is issued.
    const before = await resolveRequestSession(dashboard, request.raw)
    if (before !== null) ops.push({ op: 'dashboard_session_delete', sessionId: before.session.sessionId })
    const started = dashboard.newSession(current, request.raw)
    ops.push(started.op, dashboard.pruneOp())
    const result = await store.write(ops)
    if (!result.ok) return sendProblem(reply, 'login_failed', LOGIN_FAILED)
    return startedSession(dashboard, request, reply, current, started.token, started.session.sessionId)
  })

  app.post('/ui/api/logout', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const transport = transportOf(request.raw, dashboard.config)
    const secure = transport.ok && transport.secure
    const resolved = await resolveRequestSession(dashboard, request.raw)
    if (resolved !== null) {
      const problem = csrfProblem(request.raw, dashboard.config, dashboard.csrfKey, resolved.session.sessionId)
      if (problem !== null) return sendProblem(reply, 'csrf_rejected', problem)
      await store.write([{ op: 'dashboard_session_delete', sessionId: resolved.session.sessionId }])
    }
    reply.header('set-cookie', clearedSessionCookie(secure))
    noStore(reply)
    return reply.code(204).send()
  })

  app.post('/ui/api/password', { schema: { body: passwordBody } }, async (request, reply) => {
    const resolved = await requireSession(dashboard, request, reply, true)
    if (resolved === null) return reply
    const body = request.body as { current_password: string; new_password: string }
    const { user, session } = resolved
    const weak = passwordProblem(body.new_password, user.email)
    if (weak !== null) return sendProblem(reply, 'password_rejected', weak)
    const checked = await dashboard.hashes.run(async () => {
      const verdict = await verifyPassword(body.current_password, user.passwordHash, dashboard.scrypt)
      return verdict.ok ? await hashPassword(body.new_password, dashboard.scrypt) : null
    })
    if (checked === null) return sendProblem(reply, 'overloaded', 'too many password checks at once; retry in a second', 1)
    if (checked.value === null) return sendProblem(reply, 'forbidden', 'body.current_password is wrong')
    const nowMs = ctx.clock.now()
    const next = { ...user, passwordHash: checked.value, passwordChangedAtMs: nowMs }
    // Every session of the user ends, this one included; the caller continues on a new token.
    const started = dashboard.newSession(next, request.raw)
    const result = await store.write([
      { op: 'dashboard_user_update', user: next },
      { op: 'dashboard_sessions_revoke', tenantId: user.tenantId, userId: user.userId, exceptSessionId: null, atMs: nowMs },
      { op: 'dashboard_session_delete', sessionId: session.sessionId },
      started.op,
    ])
    if (!result.ok) return sendProblem(reply, 'session_invalid', 'the user changed meanwhile: log in again')
    return startedSession(dashboard, request, reply, next, started.token, started.session.sessionId)
  })

  app.get('/ui/api/sessions', async (request, reply) => {
    const resolved = await requireSession(dashboard, request, reply, false)
    if (resolved === null) return reply
    noStore(reply)
    const sessions = (await store.listDashboardSessions(resolved.user.tenantId, resolved.user.userId)).filter((s) => dashboard.isLive(s))
    return { sessions: sessions.map((s) => sessionView(s, resolved.session.sessionId)) }
  })

  app.post('/ui/api/sessions/revoke-others', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const resolved = await requireSession(dashboard, request, reply, true)
    if (resolved === null) return reply
    const { user, session } = resolved
    const live = await store.listDashboardSessions(user.tenantId, user.userId)
    await store.write([{ op: 'dashboard_sessions_revoke', tenantId: user.tenantId, userId: user.userId, exceptSessionId: session.sessionId, atMs: ctx.clock.now() }])
    noStore(reply)
    return { revoked: live.filter((s) => s.sessionId !== session.sessionId && dashboard.isLive(s)).length }
  })
}
