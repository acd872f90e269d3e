// A-JWT minting for approvals (spec §5.2): claims in the golden fixture's order, no nbf (the client
// allows zero clock skew), a fresh time-ordered UUIDv7 jti per mint (src/core/uuid7.ts), tool_args_hash over the args as received.
import { LedgixError, uuidv7 } from '../core/index.ts'
import { mintToken } from '../token/index.ts'
import type { ClearanceRecord, TokenRecord } from '../store/index.ts'
import type { VaultContext } from './context.ts'

export interface Minted {
  token: string
  jti: string
  record: TokenRecord
}

/** Mint for an approved clearance (or mint record). Throws only when the ring cannot sign (a bug or setup error). */
export function mintFor(ctx: VaultContext, c: ClearanceRecord, nowMs: number): Minted {
  const signer = ctx.keyRing.signer
  if (signer === null) throw new LedgixError('internal_error', 'no active signing key: run "ledgix-gateway keys generate"')
  const iat = Math.floor(nowMs / 1000)
  const exp = iat + Math.max(1, Math.floor(ctx.config.tokenTtlMs / 1000))
  const jti = uuidv7(nowMs)
  const claims = {
    iss: ctx.config.issuer,
    sub: 'clearance',
    aud: [ctx.config.audience],
    exp,
    iat,
    jti,
    tool: c.toolName,
    agent_id: c.agentId,
    session_id: c.sessionId,
    policy_id: c.policyId,
    request_id: c.requestId,
    decision: 'approved',
    tool_args_hash: c.toolArgsHash,
  }
  const token = mintToken(claims, signer)
  return {
    token,
    jti,
    record: {
      jti,
      tenantId: c.tenantId,
      requestId: c.requestId,
      agentId: c.agentId,
      toolName: c.toolName,
      kid: signer.kid,
      expSeconds: exp,
      mintedAtMs: nowMs,
    },
  }
}
