// The mode seam: how the gateway talks to "a Vault". Two implementations: HTTP (paired mode,
// src/gateway/remote-vault.ts) and in-process (all-in-one, src/vault/). Only src/cli/serve.ts chooses.

/** A public JWK as published in the JWKS document (spec §5.3). */
export interface PublicJwk {
  kty: string
  crv?: string
  x?: string
  kid?: string
  use?: string
  alg?: string
  [extra: string]: unknown
}

export interface JwksDocument {
  keys: PublicJwk[]
}

export interface JwksFetchResult {
  jwks: JwksDocument
  /** From `Cache-Control: max-age`, in seconds; null when absent. */
  maxAgeSeconds: number | null
}

export interface BurnRequest {
  /** The compact token exactly as presented: paired mode forwards it to /consume-token. */
  token: string
  jti: string
  /**
   * The header's `kid`, as the gateway decoded it: the in-process port checks it against the live key
   * ring (revocation) without decoding the token a second time.
   */
  kid: string
  /** `exp` claim, seconds since the epoch. */
  expSeconds: number
  agentId: string
}

/**
 * Why a burn was refused. Both implementations report the same code for the same condition: the
 * in-process port maps its store and key-ring answers, the HTTP port maps the /consume-token status
 * and `code` (spec §9), so a client sees the same error in paired and all-in-one mode.
 */
export type BurnFailureCode =
  | 'token_replayed'
  | 'agent_locked'
  | 'vault_unavailable'
  | 'token_expired'
  | 'token_key_revoked'
  | 'token_wrong_tenant'

export type BurnResult = { ok: true } | { ok: false; code: BurnFailureCode; detail: string }

export interface VaultPort {
  /** Fetch the current public key set. Throws on transport errors or non-2xx (the cache handles it). */
  fetchJwks(signal?: AbortSignal): Promise<JwksFetchResult>
  /** Burn a verified token's jti exactly once. Never throws: failures are values. */
  burn(request: BurnRequest): Promise<BurnResult>
  close(): Promise<void>
}

/**
 * The detail each refusal carries on the wire, shared by both VaultPort implementations so a
 * refused burn reads the same in paired and all-in-one mode (the Vault's own detail text stays in
 * its log). vault_unavailable details vary by cause and are set where the cause is known.
 */
export const BURN_REFUSAL_DETAIL = {
  token_replayed: 'Token already used.',
  agent_locked: 'The Vault has locked this agent down.',
  token_expired: 'The Vault reports the token expired.',
  token_key_revoked: 'The key that signed this token was revoked at the Vault.',
  token_wrong_tenant: 'The Vault issued this token to another tenant.',
} as const satisfies Record<Exclude<BurnFailureCode, 'vault_unavailable'>, string>

/** The refusal for a code the Vault reported, or null when the code is not a burn refusal. */
export function burnRefusalFor(code: string | null): BurnResult | null {
  switch (code) {
    case 'token_replayed':
    case 'agent_locked':
    case 'token_expired':
    case 'token_key_revoked':
    case 'token_wrong_tenant':
      return { ok: false, code, detail: BURN_REFUSAL_DETAIL[code] }
    default:
      return null
  }
}
