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
  /** `exp` claim, seconds since the epoch. */
  expSeconds: number
  agentId: string
}

export type BurnResult =
  | { ok: true }
  | { ok: false; code: 'token_replayed' | 'agent_locked' | 'vault_unavailable' | 'token_expired'; detail: string }

export interface VaultPort {
  /** Fetch the current public key set. Throws on transport errors or non-2xx (the cache handles it). */
  fetchJwks(signal?: AbortSignal): Promise<JwksFetchResult>
  /** Burn a verified token's jti exactly once. Never throws: failures are values. */
  burn(request: BurnRequest): Promise<BurnResult>
  close(): Promise<void>
}
