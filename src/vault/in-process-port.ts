// The in-process VaultPort for all-in-one mode: JWKS straight from the key ring, burns straight into
// the store, with the same semantics as POST /consume-token and the same refusals the HTTP port
// reports for them (replay 409, lockdown 403, revoked key 401), so both modes answer alike.
import { LedgixError, burnRefusalFor } from '../core/index.ts'
import type { BurnRequest, BurnResult, JwksFetchResult, VaultPort } from '../core/index.ts'
import type { VaultContext } from './context.ts'
import { burnVerified, claimPolicyFor, verifyWithRing } from './consume.ts'
import { JWKS_MAX_AGE_SECONDS } from './routes/public.ts'

/** What the HTTP port says for a 401 it cannot map (a token only this Vault would call invalid). */
const REFUSED = 'Vault answered an unexpected status; the token was not forwarded.'
const JTI_MISMATCH = 'jti does not match the token'

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
        // token_expired and token_key_revoked as the HTTP port maps them; any other verify failure
        // is one the HTTP port reports as vault_unavailable, so this one does too.
        if (!verified.ok) return burnRefusalFor(verified.code) ?? { ok: false, code: 'vault_unavailable', detail: REFUSED }
        if (verified.claims.jti !== request.jti) return { ok: false, code: 'vault_unavailable', detail: JTI_MISMATCH }
        const burned = await burnVerified(ctx, verified.claims, null, nowMs)
        if (burned.ok) return { ok: true }
        return burnRefusalFor(burned.code) ?? { ok: false, code: 'vault_unavailable', detail: REFUSED }
      } catch (err) {
        const detail = err instanceof LedgixError && err.code === 'overloaded' ? 'vault write queue full' : 'vault store error'
        return { ok: false, code: 'vault_unavailable', detail }
      }
    },
    async close(): Promise<void> {},
  }
}
