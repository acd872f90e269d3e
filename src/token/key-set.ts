// Public JWK screening and key-set building (spec §5.3): one node:crypto KeyObject per kid, made once
// at load. Only OKP/Ed25519 keys with a kid; small-order and non-canonical points refused
// (ARCHITECTURE.md "Two traps"). Tolerant of junk: bad entries are reported, never thrown.
import { createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { checkEd25519PublicKey } from '../core/index.ts'
import type { PublicJwk } from '../core/index.ts'

export type JwkImport = { ok: true; kid: string; key: KeyObject } | { ok: false; kid: string | null; reason: string }

export interface KeySet {
  readonly keys: ReadonlyMap<string, KeyObject>
  readonly rejected: ReadonlyArray<{ kid: string | null; reason: string }>
}

/** Retired keys stay published forever (spec §5.3), but a thousand is beyond any real rotation history. */
export const MAX_JWKS_KEYS = 1000
/** Kids end up in logs and metrics; a longer one is junk, not an identifier. */
export const MAX_KID_LENGTH = 256
/** Unpadded base64url of 32 bytes. */
const X_B64_LENGTH = 43

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCanonicalB64Url(text: string, bytes: Buffer): boolean {
  // Decoders skip characters outside the alphabet and ignore trailing bits; re-encoding catches both.
  return bytes.toString('base64url') === text
}

/** Screens one untrusted JWK. Ignores `use` and `alg` like the SDK (spec §5.3). Never throws. */
export function importPublicJwk(jwk: PublicJwk): JwkImport {
  const value: unknown = jwk
  if (!isObject(value)) return { ok: false, kid: null, reason: 'JWK is not a JSON object' }
  const kidValue = value.kid
  const kid = typeof kidValue === 'string' && kidValue.length > 0 ? kidValue : null
  if (kid === null) return { ok: false, kid: null, reason: 'JWK has no kid; every key must carry a non-empty string kid' }
  if (kid.length > MAX_KID_LENGTH) return { ok: false, kid: null, reason: `kid is longer than ${MAX_KID_LENGTH} characters` }
  if (value.kty !== 'OKP') return { ok: false, kid, reason: 'kty must be "OKP"' }
  if (value.crv !== 'Ed25519') return { ok: false, kid, reason: 'crv must be "Ed25519"' }
  // A published private key is a Vault misconfiguration; refusing it makes the mistake visible.
  if (value.d !== undefined) return { ok: false, kid, reason: 'JWK holds private key material ("d"); publish public keys only' }
  const x = value.x
  if (typeof x !== 'string' || x.length !== X_B64_LENGTH) {
    return { ok: false, kid, reason: 'x must be the base64url encoding of 32 bytes' }
  }
  const bytes = Buffer.from(x, 'base64url')
  if (bytes.length !== 32 || !isCanonicalB64Url(x, bytes)) {
    return { ok: false, kid, reason: 'x must be the canonical unpadded base64url encoding of 32 bytes' }
  }
  const problem = checkEd25519PublicKey(bytes)
  if (problem !== null) return { ok: false, kid, reason: `public key refused: ${problem}` }
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
    return { ok: true, kid, key }
  } catch {
    return { ok: false, kid, reason: 'node:crypto could not import the key' }
  }
}

/**
 * Builds the kid → KeyObject map from an untrusted JWKS document. A non-object or a missing `keys`
 * array yields an empty set. Two different keys under one kid are ambiguous: that kid is dropped.
 */
export function buildKeySet(doc: unknown): KeySet {
  const keys = new Map<string, KeyObject>()
  const rejected: Array<{ kid: string | null; reason: string }> = []
  if (!isObject(doc) || !Array.isArray(doc.keys)) {
    rejected.push({ kid: null, reason: 'JWKS is not an object with a "keys" array' })
    return { keys, rejected }
  }
  const list: readonly unknown[] = doc.keys
  if (list.length > MAX_JWKS_KEYS) {
    rejected.push({ kid: null, reason: `JWKS lists ${list.length} keys; only the first ${MAX_JWKS_KEYS} are read` })
  }
  const ambiguous = new Set<string>()
  const count = Math.min(list.length, MAX_JWKS_KEYS)
  for (let i = 0; i < count; i++) {
    const result = importPublicJwk(list[i] as PublicJwk)
    if (!result.ok) {
      rejected.push({ kid: result.kid, reason: result.reason })
      continue
    }
    const existing = keys.get(result.kid)
    if (existing === undefined) {
      if (!ambiguous.has(result.kid)) keys.set(result.kid, result.key)
    } else if (!existing.equals(result.key)) {
      ambiguous.add(result.kid)
      keys.delete(result.kid)
      rejected.push({ kid: result.kid, reason: 'two different keys share this kid; neither is used' })
    }
  }
  return { keys, rejected }
}
