// The token pipeline of ARCHITECTURE "Request path" steps 2–5, cheapest checks first: one Bearer
// header → decode (alg/kid, no crypto) → key lookup (kid-miss refetch) → signature + claims → tool
// → bound args (no query, no coding, one JSON Content-Type; one body in flight per jti, budgeted
// buffer, one-reading check) → local replay LRU → burn at the Vault. Every failure is a value
// recorded on the context; nothing here throws on bad input, and no failure before the burn uses
// the token up.
import type { KeyObject } from 'node:crypto'
import type { ErrorCode, VaultPort } from '../core/index.ts'
import { decodeToken, matchBoundArgs, verifyDecoded } from '../token/index.ts'
import type { AJwtClaims, ClaimPolicy } from '../token/index.ts'
import type { GatewayMetrics } from '../observability/index.ts'
import { extractBearer } from './bearer.ts'
import type { BodyBudget } from './body-budget.ts'
import { MISSING_TYPE, checkBoundFraming } from './bound-framing.ts'
import { readBoundedBody } from './body.ts'
import { identityValues } from './identity-headers.ts'
import type { ReplayCache } from './replay-cache.ts'
import type { RequestContext } from './request-context.ts'
import type { CompiledRoute } from './route-table.ts'

/** What the pipeline needs from the JWKS cache (src/token JwksCache satisfies it). */
export interface KeySource {
  isReady(): boolean
  getKey(kid: string): KeyObject | undefined
  refreshForKid(kid: string): Promise<KeyObject | undefined>
}

export interface AuthDeps {
  keys: KeySource
  vault: VaultPort
  replay: ReplayCache
  bodies: BodyBudget
  metrics: GatewayMetrics
}

const KEYS_UNAVAILABLE = 'Verification keys are not loaded or too stale to trust; retry shortly.'
const KEY_UNKNOWN = 'No verification key with this kid, even after refreshing the key set.'
const TOOL_NOT_ALLOWED = 'The token\'s tool is not allowed on this route.'
const NO_ARGS_HASH = 'This route binds arguments but the token carries no tool_args_hash.'
const TOKEN_IN_USE = 'Another request with this token is still in flight (its body arriving or being checked); this one was not read, and the token is used up only if that one succeeds.'
const UPGRADE_BOUND = 'Routes with bind_args cannot be upgraded to WebSocket.'
const REPLAYED_LOCAL = 'Token already used.'
const CLAIM_UNSENDABLE = 'An identity claim (agent_id, tool, policy_id, session_id, jti, decision) is not a string, is longer than 1024 characters encoded, or is not well-formed Unicode.'

/** null = authorized and burned; 'client_closed' = the client left before the burn (nothing to answer). */
export type AuthOutcome = ErrorCode | 'client_closed' | null

/**
 * Run the pipeline. null = authorized and burned (ctx.claims, ctx.identity, ctx.token, ctx.body set); otherwise
 * the error code, with ctx.outcome/ctx.detail set. `upgrade` requests have no readable body.
 */
export async function authorize(ctx: RequestContext, route: CompiledRoute, policy: ClaimPolicy, deps: AuthDeps, upgrade: boolean): Promise<AuthOutcome> {
  const verifyStart = performance.now()
  const bearer = extractBearer(ctx.req.rawHeaders)
  if (!bearer.ok) return ctx.fail(bearer.code, bearer.detail)
  ctx.token = bearer.token
  const decoded = decodeToken(bearer.token)
  if (!decoded.ok) return ctx.fail(decoded.code, decoded.detail)
  const keys = deps.keys
  let key = keys.getKey(decoded.value.kid)
  if (key === undefined) {
    // Rotation: a new kid is fetched once (single-flight, cooldown in the cache), then accepted.
    // The same path recovers a set gone beyond max_stale (getKey answers undefined for every kid).
    key = await keys.refreshForKid(decoded.value.kid)
    if (key === undefined) {
      return keys.isReady() ? ctx.fail('token_key_unknown', KEY_UNKNOWN) : ctx.fail('keys_unavailable', KEYS_UNAVAILABLE)
    }
  }
  const verified = verifyDecoded(decoded.value, key, policy, ctx.nowMs)
  ctx.verifyMs = performance.now() - verifyStart
  if (!verified.ok) return ctx.fail(verified.code, verified.detail)
  const claims = verified.claims
  ctx.claims = claims
  // Encoded now, before the burn: a token whose identity cannot be sent is refused unspent.
  const identity = identityValues(claims)
  if (identity === null) return ctx.fail('token_claim_invalid', CLAIM_UNSENDABLE)
  ctx.identity = identity
  if (!route.tools.has(claims.tool)) return ctx.fail('tool_not_allowed', TOOL_NOT_ALLOWED)
  if (route.bindArgs) {
    if (upgrade) return ctx.fail('tool_args_mismatch', UPGRADE_BOUND)
    return authorizeBound(ctx, route, claims, decoded.value.kid, deps)
  }
  return burn(ctx, claims, decoded.value.kid, deps)
}

/**
 * A bound route burns only after the whole body has arrived, so the token is held for that long:
 * a known replay is refused before any byte is read, and a second request with the same jti while
 * the first is still in flight is refused at once (409 token_in_use) rather than buffered beside it.
 */
async function authorizeBound(ctx: RequestContext, route: CompiledRoute, claims: AJwtClaims, kid: string, deps: AuthDeps): Promise<AuthOutcome> {
  const expected = claims.tool_args_hash
  if (expected === null) return ctx.fail('tool_args_mismatch', NO_ARGS_HASH)
  // The body must be the only place arguments come from, readable one way (bound-framing.ts).
  const req = ctx.req
  const framing = checkBoundFraming(req.rawHeaders, req.headers['transfer-encoding'], ctx.query)
  if (!framing.ok) return ctx.fail(framing.code, framing.detail)
  const jti = claims.jti
  if (deps.replay.has(jti, ctx.nowMs)) {
    deps.metrics.replayRejections.inc(LOCAL)
    return ctx.fail('token_replayed', REPLAYED_LOCAL)
  }
  const bodies = deps.bodies
  if (!bodies.claimJti(jti)) return ctx.fail('token_in_use', TOKEN_IN_USE)
  try {
    const read = await readBoundedBody(ctx, route, bodies)
    if (!read.ok) return ctx.fail(read.code, read.detail)
    ctx.body = read.body
    if (read.body.length > 0 && !framing.hasContentType) return ctx.fail(MISSING_TYPE.code, MISSING_TYPE.detail)
    const match = matchBoundArgs(read.body, expected)
    if (!match.ok) return ctx.fail(match.code, match.detail)
    return await burn(ctx, claims, kid, deps)
  } finally {
    bodies.releaseJti(jti)
  }
}

async function burn(ctx: RequestContext, claims: AJwtClaims, kid: string, deps: AuthDeps): Promise<AuthOutcome> {
  // Nobody can receive the answer any more: keep the token unspent. A bound body makes this likely,
  // not rare: bytes pipelined behind it that do not parse as a request (a body longer than its
  // Content-Length, an HTTP/1.0 body without one) make node:http answer 400 and destroy the socket
  // in the same read that completed this request's body, before the check and the burn run
  // (listener-guard.ts ends the socket with that answer: not writable from then on).
  if (hasClientLeft(ctx)) {
    ctx.outcome = 'client_closed'
    return 'client_closed'
  }
  const replay = deps.replay
  const jti = claims.jti
  if (replay.has(jti, ctx.nowMs)) {
    deps.metrics.replayRejections.inc(LOCAL)
    return ctx.fail('token_replayed', REPLAYED_LOCAL)
  }
  replay.markPending(jti, claims.exp, ctx.nowMs)
  const burnStart = performance.now()
  const result = await deps.vault.burn({
    token: ctx.token!,
    jti,
    kid,
    expSeconds: claims.exp ?? Math.floor(ctx.nowMs / 1000),
    agentId: claims.agent_id,
  })
  ctx.burnMs = performance.now() - burnStart
  deps.metrics.burnDuration.observe(result.ok ? BURN_OK : { result: result.code }, ctx.burnMs / 1000)
  if (result.ok) {
    replay.markBurned(jti, claims.exp, ctx.nowMs)
    return null
  }
  if (result.code === 'token_replayed') {
    replay.markBurned(jti, claims.exp, ctx.nowMs)
    deps.metrics.replayRejections.inc(VAULT)
  } else {
    // Not burned (or we cannot know): let the client retry; the Vault stays the authority.
    replay.release(jti)
  }
  return ctx.fail(result.code, result.detail)
}

function hasClientLeft(ctx: RequestContext): boolean {
  if (ctx.clientGone) return true
  const socket = ctx.socket ?? ctx.req.socket
  return socket === null || !socket.writable
}

const LOCAL = { source: 'local' } as const
const VAULT = { source: 'vault' } as const
const BURN_OK = { result: 'ok' } as const
