// The in-process VaultPort for all-in-one mode: JWKS straight from the key ring, burns straight into
// the store, with the same semantics as POST /consume-token and the same refusals the HTTP port
// reports for them (replay 409, lockdown 403, revoked key 401), so both modes answer alike.
import { LedgixError, burnRefusalFor } from '../core/index.ts'
import type { BurnRequest, BurnResult, JwksFetchResult, VaultPort } from '../core/index.ts'
import type { VaultContext } from './context.ts'
import { burnVerified } from './consume.ts'
import { JWKS_MAX_AGE_SECONDS } from './routes/public.ts'

/** What the HTTP port says for a 401 it cannot map (a token only this Vault would call invalid). */
const REFUSED = 'Vault answered an unexpected status; the token was not forwarded.'

export function createInProcessVaultPort(ctx: VaultContext): VaultPort {
  return {
    async fetchJwks(): Promise<JwksFetchResult> {
      return { jwks: ctx.keyRing.jwks, maxAgeSeconds: JWKS_MAX_AGE_SECONDS }
    },
    async burn(request: BurnRequest): Promise<BurnResult> {
      const nowMs = ctx.clock.now()
      try {
        // The port's contract: the gateway verified signature and claims with keys from this very ring
        // (fetchJwks above), so the signature is not checked twice (it is the costliest step of a
        // request). What the gateway's cached key set cannot know is checked here, against the live
        // ring: a revoked (or removed) kid is refused at once, and expiry is re-checked with zero skew,
        // as POST /consume-token does. The kid is the one the gateway decoded from this token.
        const kid = request.kid
        if (ctx.keyRing.verificationKey(kid) === undefined) {
          return burnRefusalFor(ctx.keyRing.isRevoked(kid) ? 'token_key_revoked' : 'token_key_unknown') ?? { ok: false, code: 'vault_unavailable', detail: REFUSED }
        }
        if (request.expSeconds * 1000 <= nowMs) return burnRefusalFor('token_expired') ?? { ok: false, code: 'vault_unavailable', detail: REFUSED }
        const burned = await burnVerified(ctx, { jti: request.jti, agentId: request.agentId, expSeconds: request.expSeconds }, null, nowMs)
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
