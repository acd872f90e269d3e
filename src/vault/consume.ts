// Consuming an A-JWT: verify (key ring KeyObjects, iss/aud/sub/exp, zero skew), check tenant and
// drift lockdown, then burn the jti exactly once. Shared by POST /consume-token and the in-process
// VaultPort. jtis are burned globally (one key ring mints them all, UUIDv7), so a token is one
// capability however many tenants or gateways see it. Failures are values, not throws.
import type { ErrorCode, TenantId } from '../core/index.ts'
import { decodeToken, verifyDecoded } from '../token/index.ts'
import type { AJwtClaims, ClaimPolicy } from '../token/index.ts'
import type { VaultContext } from './context.ts'

export type ConsumeResult =
  | { ok: true; claims: AJwtClaims }
  | { ok: false; code: ErrorCode; detail: string }

export function claimPolicyFor(ctx: VaultContext): ClaimPolicy {
  // Zero skew: the tokens are ours and the clock is ours.
  return { issuer: ctx.config.issuer, audience: ctx.config.audience, subject: 'clearance', clockSkewSeconds: 0, requireExp: true }
}

/** Verify signature and claims with the ring's non-revoked keys. */
export function verifyWithRing(ctx: VaultContext, token: string, policy: ClaimPolicy, nowMs: number): ConsumeResult {
  const decoded = decodeToken(token)
  if (!decoded.ok) return decoded
  const key = ctx.keyRing.verificationKey(decoded.value.kid)
  if (key === undefined) {
    return ctx.keyRing.isRevoked(decoded.value.kid)
      ? { ok: false, code: 'token_key_revoked', detail: 'the key that signed this token was revoked' }
      : { ok: false, code: 'token_key_unknown', detail: 'no verification key for the token kid' }
  }
  return verifyDecoded(decoded.value, key, policy, nowMs)
}

const BURNED = { ok: true } as const

/** What a burn needs from a token that was already verified (signature and claims). */
export interface VerifiedBurn {
  jti: string
  agentId: string
  expSeconds: number
}

/**
 * Burn a verified token. `callerTenant` is the consuming API key's tenant (HTTP) or null (in-process,
 * where the tenant comes from the mint record). One durable write and no reads before it: the
 * tenant, lockdown and replay checks run inside the burn's own transaction (`token_burn`), so a
 * lockdown acknowledged before this call is always seen.
 */
export async function burnVerified(ctx: VaultContext, token: VerifiedBurn, callerTenant: TenantId | null, nowMs: number): Promise<{ ok: true } | { ok: false; code: ErrorCode; detail: string }> {
  const result = await ctx.store.write([
    { op: 'token_burn', jti: token.jti, callerTenant, agentId: token.agentId, expSeconds: token.expSeconds, atMs: nowMs },
  ])
  if (result.ok) return BURNED
  switch (result.refusal?.code) {
    case 'token_wrong_tenant':
      return { ok: false, code: 'token_wrong_tenant', detail: 'this token was issued to another tenant' }
    case 'agent_locked':
      return { ok: false, code: 'agent_locked', detail: `agent is locked down: ${result.refusal.lockReason ?? ''}` }
    default:
      return { ok: false, code: 'token_replayed', detail: 'this token was already used' }
  }
}

export async function consumeToken(ctx: VaultContext, token: string, callerTenant: TenantId, nowMs: number): Promise<ConsumeResult> {
  const verified = verifyWithRing(ctx, token, claimPolicyFor(ctx), nowMs)
  if (!verified.ok) return verified
  const claims = verified.claims
  const burned = await burnVerified(ctx, { jti: claims.jti, agentId: claims.agent_id, expSeconds: claims.exp ?? 0 }, callerTenant, nowMs)
  return burned.ok ? verified : burned
}
