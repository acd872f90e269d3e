// The operator surface under /admin (X-Admin-API-Key or Bearer admin key): tenants, their API keys
// (shown once, stored hashed), and the signing key ring (list, rotate, revoke).
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { IDENTIFIER_MAX_LENGTH } from '../../core/index.ts'
import type { ApiKeyId, TenantId } from '../../core/index.ts'
import type { ApiKeyRole } from '../../store/index.ts'
import { apiKeyView, createTenantKey, revokeTenantKey } from '../api-keys.ts'
import type { CreateKeyInput } from '../api-keys.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { apiKeyCreateBody, identifier, tenantIdParams } from './schemas.ts'

// Tenant ids follow the one identifier rule (src/core/identifier.ts), in paths and bodies alike.
const tenantParams = tenantIdParams
/** Key ids are ours (`key_<uuid>`), but any text only fails the lookup: just bound it. */
const tenantKeyParams = {
  type: 'object',
  required: ['tenant_id', 'key_id'],
  properties: { tenant_id: identifier, key_id: { type: 'string', minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH } },
} as const

/** A validated apiKeyCreateBody (or none) as the create input: an unnamed agent key that never expires by default. */
export function createKeyInputOf(body: unknown): CreateKeyInput {
  const b = (body ?? {}) as { name?: string; role?: ApiKeyRole; expires_in_days?: number }
  return { name: b.name ?? '', role: b.role ?? 'agent', expiresInDays: b.expires_in_days ?? null }
}

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
        body: apiKeyCreateBody,
      },
    },
    async (request, reply) => {
      const { tenant_id: tenantId } = request.params as { tenant_id: TenantId }
      if ((await store.getTenant(tenantId)) === null) return sendProblem(reply, 'not_found', 'no such tenant')
      const created = await createTenantKey(store, tenantId, createKeyInputOf(request.body), ctx.config.apiKeyEnv, ctx.clock.now())
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
    if (!(await revokeTenantKey(store, tenantId, keyId, ctx.clock.now()))) return sendProblem(reply, 'not_found', 'no such active key in this tenant')
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
