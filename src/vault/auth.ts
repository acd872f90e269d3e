// Authentication hooks: `X-Vault-API-Key` (SHA-256 lookup, revocation honoured at once, per-key rate
// limit, last-used time) for customer routes; `X-Admin-API-Key` or `Authorization: Bearer` for /admin.
import { timingSafeEqual, createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorCode } from '../core/index.ts'
import type { AuthContext, VaultContext } from './context.ts'
import { hashApiKey } from './api-keys.ts'
import { sendProblem } from './http-errors.ts'
import { authenticateSession } from './dashboard/auth/index.ts'

/** Keys are ~55 characters; anything far longer is not a key and is not hashed. */
const MAX_API_KEY_LENGTH = 512

function headerValue(value: string | string[] | undefined): string | null {
  if (typeof value === 'string') return value
  return null
}

/** Why a customer request was refused before its handler ran. */
export class AuthRefusal {
  readonly code: ErrorCode
  readonly detail: string
  /** Set for rate_limited only. */
  readonly retryAfterSeconds: number | undefined
  constructor(code: ErrorCode, detail: string, retryAfterSeconds?: number) {
    this.code = code
    this.detail = detail
    this.retryAfterSeconds = retryAfterSeconds
  }
}

const MISSING = new AuthRefusal('api_key_missing', 'send your tenant API key in X-Vault-API-Key')
const INVALID = new AuthRefusal('api_key_invalid', 'unknown or revoked API key')

/**
 * X-Vault-API-Key → the caller, or why not: SHA-256 lookup (the store serves known keys from memory
 * and drops them on revocation), per-key rate limit, coalesced last-used time. Shared by the fastify
 * hook and the fast path (fast-path.ts), so both refuse alike.
 */
export async function authenticateKey(ctx: VaultContext, header: string | string[] | undefined): Promise<AuthContext | AuthRefusal> {
  const key = headerValue(header)
  if (key === null || key === '') return MISSING
  if (key.length > MAX_API_KEY_LENGTH) return INVALID
  const record = await ctx.store.findApiKeyByHash(hashApiKey(key))
  if (record === null || record.revokedAtMs !== null) return INVALID
  const nowMs = ctx.clock.now()
  if (ctx.limiter !== null) {
    const waitSeconds = ctx.limiter.take(record.keyId, nowMs)
    if (waitSeconds > 0) return new AuthRefusal('rate_limited', `rate limit for this API key exceeded; retry in ${waitSeconds}s`, waitSeconds)
  }
  ctx.store.touchApiKey(record.keyId, nowMs)
  return { tenantId: record.tenantId, keyId: record.keyId, role: record.role, keyName: record.name }
}

const VIEWER_READ_ONLY = new AuthRefusal('forbidden', 'the viewer role is read-only: changing anything needs a reviewer or admin')

/**
 * The customer caller: X-Vault-API-Key when the header is present (cookies are then ignored), else a
 * dashboard session cookie (docs/design/dashboard.md §1: CSRF on state-changing requests). One rule
 * for the read-only role: a viewer is refused every state-changing request, whatever the route.
 */
export async function authenticateCustomer(ctx: VaultContext, req: IncomingMessage, stateChanging: boolean): Promise<AuthContext | AuthRefusal> {
  const key = req.headers['x-vault-api-key']
  let auth: AuthContext | AuthRefusal
  if (key !== undefined || ctx.dashboardAuth === undefined) {
    auth = await authenticateKey(ctx, key)
  } else {
    const session = await authenticateSession(ctx.dashboardAuth, req, stateChanging)
    if (session === null) return MISSING
    if (!session.ok) return new AuthRefusal(session.code, session.detail)
    auth = session.auth
  }
  if (stateChanging && !(auth instanceof AuthRefusal) && auth.role === 'viewer') return VIEWER_READ_ONLY
  return auth
}

/** Methods that change nothing; a POST route that only reads declares `config: { readOnly: true }`. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function isStateChanging(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method) && request.routeOptions.config.readOnly !== true
}

/** onRequest hook for customer routes; sets request.auth or answers 401/403/429. */
export async function authenticateApiKey(ctx: VaultContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const auth = await authenticateCustomer(ctx, request.raw, isStateChanging(request))
  if (auth instanceof AuthRefusal) {
    sendProblem(reply, auth.code, auth.detail, auth.retryAfterSeconds)
    return reply
  }
  request.auth = auth
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** preHandler for /admin: constant-time comparison of digests (no length oracle). */
export async function authenticateAdmin(ctx: VaultContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const expected = ctx.config.adminApiKey
  let presented = headerValue(request.headers['x-admin-api-key'])
  if (presented === null) {
    const authz = headerValue(request.headers.authorization)
    if (authz !== null && authz.slice(0, 7).toLowerCase() === 'bearer ') presented = authz.slice(7).trim()
  }
  if (expected === null) {
    sendProblem(reply, 'admin_key_invalid', 'the admin API is disabled: set vault_server.admin_api_key to enable it')
    return reply
  }
  if (presented === null || !timingSafeEqual(digest(presented), digest(expected))) {
    sendProblem(reply, 'admin_key_invalid', 'send the admin key in X-Admin-API-Key or Authorization: Bearer')
    return reply
  }
}
