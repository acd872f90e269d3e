// The operator surface under /admin (X-Admin-API-Key or Bearer admin key): tenants, their API keys
// (shown once, stored hashed), and the signing key ring (list, rotate, revoke).
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { IDENTIFIER_MAX_LENGTH } from '../../core/index.ts'
import type { ApiKeyId, TenantId } from '../../core/index.ts'
import type { ApiKeyRole } from '../../store/index.ts'
import { API_KEY_ROLES, apiKeyView, newApiKey } from '../api-keys.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { identifier, tenantIdParams } from './schemas.ts'

// Tenant ids follow the one identifier rule (src/core/identifier.ts), in paths and bodies alike.
const tenantParams = tenantIdParams
/** Key ids are ours (`key_<uuid>`), but any text only fails the lookup: just bound it. */
const tenantKeyParams = {
  type: 'object',
  required: ['tenant_id', 'key_id'],
  properties: { tenant_id: identifier, key_id: { type: 'string', minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH } },
} as const

export function keyRecordView(r: { kid: string; activeFromMs: number; retiredAtMs: number | null; revokedAtMs: number | null; source: string }): Record<string, unknown> {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
  return { kid: r.kid, active_from: iso(r.activeFromMs), retired_at: iso(r.retiredAtMs), revoked_at: iso(r.revokedAtMs), source: r.source }
}

export function registerAdminRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const { store } = ctx

  app.post(
    '/tenants',
    {
      schema: {
        body: { type: 'object', properties: { tenant_id: identifier, name: { type: 'string', maxLength: 256 } } },
      },
    },
    async (request, reply) => {
      const body = request.body as { tenant_id?: string; name?: string }
      const tenantId = (body.tenant_id ?? `tenant_${randomUUID()}`) as TenantId
      const tenant = { tenantId, name: body.name ?? tenantId, createdAtMs: ctx.clock.now() }
      // The store's guard decides, inside the transaction: of concurrent creates of one id exactly one
      // succeeds (no read-then-write window, no constraint exception surfacing as a 500).
      const result = await store.write([{ op: 'tenant_insert', tenant }])
      if (!result.ok) return sendProblem(reply, 'tenant_exists', `tenant ${tenantId} already exists`)
      return reply.code(201).send({ tenant_id: tenant.tenantId, name: tenant.name, created_at: new Date(tenant.createdAtMs).toISOString() })
    },
  )

  app.get('/tenants', async () => ({
    tenants: (await store.listTenants()).map((t) => ({ tenant_id: t.tenantId, name: t.name, created_at: new Date(t.createdAtMs).toISOString() })),
  }))

  app.post(
    '/tenants/:tenant_id/api-keys',
    {
      schema: {
        params: tenantParams,
        body: { type: 'object', properties: { name: { type: 'string', maxLength: 256 }, role: { type: 'string', enum: [...API_KEY_ROLES] } } },
      },
    },
    async (request, reply) => {
      const { tenant_id: tenantId } = request.params as { tenant_id: TenantId }
      if ((await store.getTenant(tenantId)) === null) return sendProblem(reply, 'not_found', 'no such tenant')
      const body = (request.body ?? {}) as { name?: string; role?: ApiKeyRole }
      const created = newApiKey(tenantId, body.role ?? 'agent', body.name ?? '', ctx.config.apiKeyEnv, ctx.clock.now())
      await store.write([{ op: 'api_key_insert', key: created.record }])
      // The secret is in this response only; the store keeps its SHA-256.
      return reply.code(201).send({ ...apiKeyView(created.record), api_key: created.apiKey })
    },
  )

  app.get('/tenants/:tenant_id/api-keys', { schema: { params: tenantParams } }, async (request, reply) => {
    const { tenant_id: tenantId } = request.params as { tenant_id: TenantId }
    if ((await store.getTenant(tenantId)) === null) return sendProblem(reply, 'not_found', 'no such tenant')
    return { api_keys: (await store.listApiKeys(tenantId)).map(apiKeyView) }
  })

  app.delete('/tenants/:tenant_id/api-keys/:key_id', { schema: { params: tenantKeyParams }, config: { allowEmptyBody: true } }, async (request, reply) => {
    const { tenant_id: tenantId, key_id: keyId } = request.params as { tenant_id: TenantId; key_id: ApiKeyId }
    const result = await store.write([{ op: 'api_key_revoke', tenantId, keyId, atMs: ctx.clock.now() }])
    if (!result.ok) return sendProblem(reply, 'not_found', 'no such active key in this tenant')
    return { key_id: keyId, revoked: true }
  })

  app.get('/keys', async () => ({ keys: ctx.keyRing.records.map(keyRecordView), active_kid: ctx.keyRing.signer?.kid ?? null }))

  // A rotation racing another one answers 409 key_ring_changed (thrown by the ring, mapped by the
  // error handler): exactly one active signing key afterwards.
  app.post('/keys/rotate', { config: { allowEmptyBody: true } }, async () => {
    const created = await ctx.keyRing.rotate()
    return { rotated: true, active_kid: created.kid, keys: ctx.keyRing.records.map(keyRecordView) }
  })

  app.post('/keys/:kid/revoke', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const { kid } = request.params as { kid: string }
    if (!(await ctx.keyRing.revoke(kid))) return sendProblem(reply, 'not_found', 'no such key')
    return { kid, revoked: true }
  })
}
