// POST /register-policy (spec §3.5): every registration is a new immutable version with a content
// hash; bad CEL or shapes are a 400 naming the rule. Needs an admin key: a policy decides what
// agents may do, so an agent key must not write one.
import type { FastifyInstance } from 'fastify'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import type { IdempotencyGate, IdempotencyStamp } from '../idempotency.ts'
import { idempotencyOp } from '../idempotency.ts'
import { stampFor } from './clearance.ts'
import { registerPolicyBody } from './schemas.ts'

export function registerPolicyRoute(app: FastifyInstance, ctx: VaultContext, gate: IdempotencyGate): void {
  app.post('/register-policy', { schema: { body: registerPolicyBody } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'registering policies needs an admin-role API key')
    const stamp = stampFor(request, '/register-policy')
    if (typeof stamp === 'string') return sendProblem(reply, 'invalid_request', stamp)
    const run = async (s: IdempotencyStamp | null): Promise<unknown> => {
      const nowMs = ctx.clock.now()
      const prepared = ctx.policies.prepare(auth.tenantId, request.body as Record<string, unknown>, nowMs)
      if (!prepared.ok) {
        const detail = prepared.errors.map((e) => `body.${e.path === '' ? '' : e.path}: ${e.message}`).join('; ')
        return sendProblem(reply, 'invalid_request', detail)
      }
      const response = {
        policy_id: prepared.record.policyId,
        status: 'registered',
        message: `Policy registered as version ${prepared.record.versionId}`,
        policy_version_id: prepared.record.versionId,
        policy_content_hash: prepared.record.contentHash,
      }
      // The registering key is the version's author (GET /policies shows it).
      const ops = [ctx.policies.insertOp({ ...prepared.record, authorKeyId: auth.keyId })]
      if (s !== null) ops.push(idempotencyOp(s, null, 200, response, nowMs))
      const result = await ctx.store.write(ops)
      if (!result.ok) return sendProblem(reply, 'idempotency_conflict', 'this Idempotency-Key is being used concurrently')
      ctx.policies.invalidate(auth.tenantId)
      return response
    }
    if (stamp === null) return run(null)
    return gate.exclusive(stamp, async (check) => {
      if (check.kind === 'conflict') return sendProblem(reply, 'idempotency_conflict', 'this Idempotency-Key was used with a different body')
      if (check.kind === 'replay') return reply.code(check.record.statusCode).send(JSON.parse(check.record.responseJson))
      return run(stamp)
    })
  })
}
