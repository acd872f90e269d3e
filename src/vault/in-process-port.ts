// The in-process VaultPort for all-in-one mode: JWKS straight from the key ring, burns straight into
// the store, with the same semantics as POST /consume-token (replay 409, lockdown, revocation).
import { LedgixError } from '../core/index.ts'
import type { BurnRequest, BurnResult, JwksFetchResult, VaultPort } from '../core/index.ts'
import type { VaultContext } from './context.ts'
import { burnVerified, claimPolicyFor, verifyWithRing } from './consume.ts'
import { JWKS_MAX_AGE_SECONDS } from './routes/public.ts'

export function createInProcessVaultPort(ctx: VaultContext): VaultPort {
  const policy = claimPolicyFor(ctx)
  return {
    async fetchJwks(): Promise<JwksFetchResult> {
      return { jwks: ctx.keyRing.jwks, maxAgeSeconds: JWKS_MAX_AGE_SECONDS }
    },
    async burn(request: BurnRequest): Promise<BurnResult> {
      const nowMs = ctx.clock.now()
      try {
        // The gateway verified already; verifying again here is what makes a revocation immediate
        // even while the gateway's JWKS cache still holds the key.
        const verified = verifyWithRing(ctx, request.token, policy, nowMs)
        if (!verified.ok) {
          if (verified.code === 'token_expired') return { ok: false, code: 'token_expired', detail: verified.detail }
          // BurnResult has no "revoked/invalid" code: refuse as unavailable so the gateway never forwards.
          return { ok: false, code: 'vault_unavailable', detail: `vault refused the token: ${verified.code}` }
        }
        if (verified.claims.jti !== request.jti) return { ok: false, code: 'vault_unavailable', detail: 'jti does not match the token' }
        const burned = await burnVerified(ctx, verified.claims, null, nowMs)
        if (burned.ok) return { ok: true }
        if (burned.code === 'token_replayed' || burned.code === 'agent_locked') return { ok: false, code: burned.code, detail: burned.detail }
        return { ok: false, code: 'vault_unavailable', detail: burned.detail }
      } catch (err) {
        const detail = err instanceof LedgixError && err.code === 'overloaded' ? 'vault write queue full' : 'vault store error'
        return { ok: false, code: 'vault_unavailable', detail }
      }
    },
    async close(): Promise<void> {},
  }
}

