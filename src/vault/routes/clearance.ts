// POST /request-clearance, GET /clearance-status/{request_id} and POST /mint-token (spec §3.1–§3.3),
// with Idempotency-Key replay on both POSTs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { uuidv7 } from '../../core/index.ts'
import type { TenantId } from '../../core/index.ts'
import type { ClearanceRecord } from '../../store/index.ts'
import { snakeCaseKeys, toolArgsHash } from '../../token/index.ts'
import { IdempotencyRace, clearanceInputFrom, clearanceView, persistDecision, requestClearance } from '../clearance.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { sendProblem, type RouteAnswer } from '../http-errors.ts'
import { IdempotencyGate, MAX_IDEMPOTENCY_KEY_LENGTH, bodyHash, idempotencyOp } from '../idempotency.ts'
import type { IdempotencyStamp } from '../idempotency.ts'
import { NO_EVIDENCE } from '../ledger-sink.ts'
import { clearanceBody, mintTokenBody, requestIdParams } from './schemas.ts'

type Body = Record<string, unknown>

/** The stamp for a request's Idempotency-Key header, null without one, or a string problem for a bad header. */
export function stampOf(header: string | string[] | undefined, tenantId: TenantId, route: string, body: unknown): IdempotencyStamp | null | string {
  if (header === undefined) return null
  if (typeof header !== 'string' || header === '' || header.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters`
  }
  return { tenantId, route, key: header, bodyHash: bodyHash(body) }
}

/** The stamp for this request, null without the header, or a string problem for a bad header. */
export function stampFor(request: FastifyRequest, route: string): IdempotencyStamp | null | string {
  return stampOf(request.headers['idempotency-key'], request.auth!.tenantId, route, request.body)
}

const IDEMPOTENCY_CONFLICT: RouteAnswer = { ok: false, code: 'idempotency_conflict', detail: 'this Idempotency-Key was used with a different body' }

function answer(body: unknown): RouteAnswer {
  return { ok: true, body }
}

async function replayClearance(ctx: VaultContext, auth: AuthContext, requestId: string | null): Promise<RouteAnswer> {
  const record = requestId === null ? null : await ctx.store.getClearance(auth.tenantId, requestId)
  if (record === null) return { ok: false, code: 'internal_error', detail: 'stored idempotent response is missing its request' }
  return answer(clearanceView(record))
}

/**
 * POST /request-clearance after auth and body validation, for the fastify route and the fast path
 * alike. Throws what persistDecision throws (the transports map it with problemOfThrown).
 */
export async function clearanceAnswer(ctx: VaultContext, gate: IdempotencyGate, auth: AuthContext, body: Body, idempotencyKey: string | string[] | undefined): Promise<RouteAnswer> {
  const input = clearanceInputFrom(body)
  const stamp = stampOf(idempotencyKey, auth.tenantId, '/request-clearance', body)
  if (typeof stamp === 'string') return { ok: false, code: 'invalid_request', detail: stamp }
  if (stamp === null) return answer(clearanceView(await requestClearance(ctx, auth, input, null)))
  return gate.exclusive(stamp, async (check): Promise<RouteAnswer> => {
    if (check.kind === 'conflict') return IDEMPOTENCY_CONFLICT
    if (check.kind === 'replay') return replayClearance(ctx, auth, check.record.requestId)
    try {
      return answer(clearanceView(await requestClearance(ctx, auth, input, stamp)))
    } catch (err) {
      if (!(err instanceof IdempotencyRace)) throw err
      const again = await gate.check(stamp)
      if (again.kind !== 'replay') return IDEMPOTENCY_CONFLICT
      return replayClearance(ctx, auth, again.record.requestId)
    }
  })
}

export function registerClearanceRoutes(app: FastifyInstance, ctx: VaultContext, gate: IdempotencyGate): void {
  app.post('/request-clearance', { schema: { body: clearanceBody } }, async (request, reply) => {
    const result = await clearanceAnswer(ctx, gate, request.auth!, request.body as Body, request.headers['idempotency-key'])
    return result.ok ? result.body : sendProblem(reply, result.code, result.detail)
  })

  app.get('/clearance-status/:request_id', { schema: { params: requestIdParams } }, async (request, reply) => {
    const { request_id: requestId } = request.params as { request_id: string }
    const record = await ctx.store.getClearance(request.auth!.tenantId, requestId)
    // Another tenant's request id is indistinguishable from an unknown one.
    if (record === null) return sendProblem(reply, 'not_found', 'no such request')
    return clearanceView(record)
  })

  app.post('/mint-token', { schema: { body: mintTokenBody } }, async (request, reply) => {
    const stamp = stampFor(request, '/mint-token')
    if (typeof stamp === 'string') return sendProblem(reply, 'invalid_request', stamp)
    if (stamp === null) return mintFromApproval(ctx, request, reply, null)
    return gate.exclusive(stamp, async (check) => {
      if (check.kind === 'conflict') return sendProblem(reply, 'idempotency_conflict', 'this Idempotency-Key was used with a different body')
      if (check.kind === 'replay') {
        // The token is minted inside the transaction, so replay from the mint record, not the stored JSON.
        const minted = check.record.requestId === null ? null : await ctx.store.getClearance(stamp.tenantId, check.record.requestId)
        if (minted === null) return sendProblem(reply, 'internal_error', 'stored idempotent response is missing its mint')
        return { token: minted.token, request_id: minted.requestId, reason: minted.reason }
      }
      return mintFromApproval(ctx, request, reply, stamp)
    })
  })
}

/**
 * The decision cache's fresh token (spec §3.3): only for an exact prior approval of this tenant —
 * same tool, agent and canonical args (after the camel→snake rewrite the client skips here) —
 * recent enough that the policy verdict still stands; a new jti and a ledgered mint every time.
 */
async function mintFromApproval(ctx: VaultContext, request: FastifyRequest, reply: FastifyReply, stamp: IdempotencyStamp | null): Promise<unknown> {
  const auth = request.auth!
  const body = request.body as Body
  const original = await ctx.store.getClearance(auth.tenantId, body.original_request_id as string)
  if (original === null || original.kind !== 'clearance') return sendProblem(reply, 'not_found', 'original_request_id names no clearance of this tenant')
  const args = snakeCaseKeys(typeof body.tool_args === 'object' && body.tool_args !== null ? body.tool_args : {}) as Record<string, unknown>
  const agentId = typeof body.agent_id === 'string' ? body.agent_id : 'default-agent'
  const nowMs = ctx.clock.now()
  if (original.status !== 'approved') return sendProblem(reply, 'forbidden', 'the original request is not approved')
  if (original.toolName !== body.tool_name || original.agentId !== agentId || original.toolArgsHash !== toolArgsHash(args)) {
    return sendProblem(reply, 'forbidden', 'tool, agent or arguments differ from the original approval; request clearance again')
  }
  if (nowMs - original.updatedAtMs > ctx.config.tokenTtlMs) {
    return sendProblem(reply, 'forbidden', 'the original approval is older than the token lifetime; request clearance again')
  }

  const mint: ClearanceRecord = {
    ...original,
    requestId: uuidv7(),
    kind: 'mint',
    token: null,
    jti: null,
    sessionId: typeof body.session_id === 'string' ? body.session_id : original.sessionId,
    reason: original.reason,
    reviewState: null,
    reviewExpiresAtMs: null,
    parentRequestId: original.requestId,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  }
  // The mint record is written approved in one step; persistDecision mints the token into it.
  const pendingResponse = { request_id: mint.requestId, reason: mint.reason }
  try {
    const extra = stamp === null ? [] : [idempotencyOp(stamp, mint.requestId, 200, pendingResponse, nowMs)]
    // 'refuse': the lockdown check is the store's token_insert guard, in the mint's own transaction.
    const done = await persistDecision(ctx, mint, null, NO_EVIDENCE, 'mint', extra, nowMs, 'refuse')
    return { token: done.token, request_id: done.requestId, reason: done.reason }
  } catch (err) {
    if (!(err instanceof IdempotencyRace) || stamp === null) throw err
    return sendProblem(reply, 'idempotency_conflict', 'this Idempotency-Key is being used concurrently')
  }
}
