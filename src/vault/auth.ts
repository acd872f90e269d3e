// Authentication hooks: `X-Vault-API-Key` (SHA-256 lookup, revocation honoured at once, per-key rate
// limit, last-used time) for customer routes; `X-Admin-API-Key` or `Authorization: Bearer` for /admin.
import { timingSafeEqual, createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { VaultContext } from './context.ts'
import { hashApiKey } from './api-keys.ts'
import { sendProblem } from './http-errors.ts'

/** Keys are ~55 characters; anything far longer is not a key and is not hashed. */
const MAX_API_KEY_LENGTH = 512

function headerValue(value: string | string[] | undefined): string | null {
  if (typeof value === 'string') return value
  return null
}

/** preHandler for customer routes; sets request.auth or answers 401/429. */
export async function authenticateApiKey(ctx: VaultContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const key = headerValue(request.headers['x-vault-api-key'])
  if (key === null || key === '') {
    sendProblem(reply, 'api_key_missing', 'send your tenant API key in X-Vault-API-Key')
    return reply
  }
  if (key.length > MAX_API_KEY_LENGTH) {
    sendProblem(reply, 'api_key_invalid', 'unknown or revoked API key')
    return reply
  }
  const record = await ctx.store.findApiKeyByHash(hashApiKey(key))
  if (record === null || record.revokedAtMs !== null) {
    sendProblem(reply, 'api_key_invalid', 'unknown or revoked API key')
    return reply
  }
  const nowMs = ctx.clock.now()
  if (ctx.limiter !== null) {
    const waitSeconds = ctx.limiter.take(record.keyId, nowMs)
    if (waitSeconds > 0) {
      sendProblem(reply, 'rate_limited', `rate limit for this API key exceeded; retry in ${waitSeconds}s`, waitSeconds)
      return reply
    }
  }
  ctx.store.touchApiKey(record.keyId, nowMs)
  request.auth = { tenantId: record.tenantId, keyId: record.keyId, role: record.role, keyName: record.name }
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
