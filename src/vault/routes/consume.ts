// POST /consume-token (spec §9): verify, then burn exactly once. 401 + reason code for a bad token,
// 409 for a replay however many arrive at once, 403 agent_locked for a locked-down agent.
import type { FastifyInstance } from 'fastify'
import { consumeToken } from '../consume.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { sendProblem, type RouteAnswer } from '../http-errors.ts'
import { consumeBody } from './schemas.ts'

/** POST /consume-token after auth and body validation, for the fastify route and the fast path alike. */
export async function consumeAnswer(ctx: VaultContext, token: string, auth: AuthContext): Promise<RouteAnswer> {
  const result = await consumeToken(ctx, token, auth.tenantId, ctx.clock.now())
  if (!result.ok) return result
  const c = result.claims
  return { ok: true, body: { valid: true, jti: c.jti, tool_name: c.tool, agent_id: c.agent_id, policy_id: c.policy_id, session_id: c.session_id } }
}

export function registerConsumeRoute(app: FastifyInstance, ctx: VaultContext): void {
  app.post('/consume-token', { schema: { body: consumeBody } }, async (request, reply) => {
    const { token } = request.body as { token: string }
    const result = await consumeAnswer(ctx, token, request.auth!)
    return result.ok ? result.body : sendProblem(reply, result.code, result.detail)
  })
}
