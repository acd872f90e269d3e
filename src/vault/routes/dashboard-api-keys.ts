// The caller's tenant's API keys (admin role): list, create (secret shown once), rotate with a grace
// period, revoke. The same store operations as /admin/tenants/{id}/api-keys (api-keys.ts).
import type { FastifyInstance } from 'fastify'
import type { ApiKeyId } from '../../core/index.ts'
import type { ApiKeyRecord } from '../../store/index.ts'
import { apiKeyStatus, apiKeyView, createTenantKey, revokeTenantKey, rotateTenantKey } from '../api-keys.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { createKeyInputOf } from './admin.ts'
import { keyIdParams, rotateKeyBody } from './dashboard-schemas.ts'
import { apiKeyCreateBody } from './schemas.ts'

const ADMIN_ONLY = 'managing API keys needs an admin-role API key'

function keyView(k: ApiKeyRecord, nowMs: number): Record<string, unknown> {
  return { ...apiKeyView(k), status: apiKeyStatus(k, nowMs) }
}

export function registerDashboardApiKeyRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const { store } = ctx

  app.get('/api-keys', async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', ADMIN_ONLY)
    const nowMs = ctx.clock.now()
    return { api_keys: (await store.listApiKeys(auth.tenantId)).map((k) => keyView(k, nowMs)) }
  })

  app.post('/api-keys', { schema: { body: apiKeyCreateBody } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', ADMIN_ONLY)
    const nowMs = ctx.clock.now()
    const created = await createTenantKey(store, auth.tenantId, createKeyInputOf(request.body), ctx.config.apiKeyEnv, nowMs)
    // The secret is in this response only; the store keeps its SHA-256.
    return reply.code(201).send({ ...keyView(created.record, nowMs), api_key: created.apiKey })
  })

  app.post('/api-keys/:key_id/rotate', { schema: { params: keyIdParams, body: rotateKeyBody } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', ADMIN_ONLY)
    const { key_id: keyId } = request.params as { key_id: ApiKeyId }
    const { grace_seconds: graceSeconds } = request.body as { grace_seconds: number }
    const nowMs = ctx.clock.now()
    const rotated = await rotateTenantKey(store, auth.tenantId, keyId, graceSeconds, ctx.config.apiKeyEnv, nowMs)
    if (!rotated.ok) {
      return rotated.code === 'not_found'
        ? sendProblem(reply, 'not_found', 'no such API key in this tenant')
        : sendProblem(reply, 'api_key_not_active', 'this key is revoked, expired or was already rotated: rotate its successor, or create a new key')
    }
    return { successor: { ...keyView(rotated.successor.record, nowMs), api_key: rotated.successor.apiKey }, previous: keyView(rotated.old, nowMs) }
  })

  app.delete('/api-keys/:key_id', { schema: { params: keyIdParams }, config: { allowEmptyBody: true } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', ADMIN_ONLY)
    const { key_id: keyId } = request.params as { key_id: ApiKeyId }
    if (!(await revokeTenantKey(store, auth.tenantId, keyId, ctx.clock.now()))) return sendProblem(reply, 'not_found', 'no such active key in this tenant')
    return { key_id: keyId, revoked: true }
  })
}
