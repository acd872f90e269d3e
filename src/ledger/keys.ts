// Which Ed25519 keys a verifier may trust. Pinned keys come from a JWKS the caller trusts; keys
// embedded in a proof bundle are trusted only when they match a pinned key, or when the caller says
// so explicitly. Every key is screened: small-order and non-canonical keys are refused (they make
// OpenSSL accept an all-zero-S signature on any message).
import { checkEd25519PublicKey } from '../core/index.ts'
import { base64urlDecode, bytesEqual } from './bytes.ts'
import { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
import type { KeyVersion } from './wire-types.ts'

export interface KeySet {
  /** kid → raw 32-byte public key. */
  readonly keys: ReadonlyMap<string, Uint8Array>
  /** Keys that are present but unusable (bad encoding, small order, conflicting kid): fail closed. */
  readonly problems: readonly string[]
  /** Keys skipped on purpose (not Ed25519): informational. */
  readonly notes: readonly string[]
}

type JwkKey = { ok: true; kid: string | undefined; key: Uint8Array } | { ok: false; skip: boolean; message: string }

/** Decode one JWK object to a raw Ed25519 key, screened. `skip` marks keys of other types. */
function readJwk(jwk: unknown): JwkKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return { ok: false, skip: false, message: 'is not a JSON object' }
  const { kty, crv, x, kid } = jwk as Record<string, unknown>
  if (kid !== undefined && typeof kid !== 'string') return { ok: false, skip: false, message: 'has a non-string kid' }
  if (kty !== 'OKP' || crv !== 'Ed25519') {
    return { ok: false, skip: true, message: `is not an Ed25519 key (kty ${String(kty)}, crv ${String(crv)})` }
  }
  const raw = typeof x === 'string' ? base64urlDecode(x) : undefined
  if (raw === undefined) return { ok: false, skip: false, message: 'has no valid base64url "x"' }
  const problem = checkEd25519PublicKey(raw)
  if (problem !== null) return { ok: false, skip: false, message: `is refused: ${problem.replaceAll('_', ' ')} public key` }
  return { ok: true, kid, key: raw }
}

/** Pinned keys from a JWKS document (spec §5.3). Keys without a kid cannot be matched and are refused. */
export function parseJwks(doc: unknown): KeySet {
  const keys = new Map<string, Uint8Array>()
  const problems: string[] = []
  const notes: string[] = []
  const list = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined
  if (!Array.isArray(list)) return { keys, problems: ['the JWKS has no "keys" array'], notes }
  list.forEach((jwk, i) => {
    const read = readJwk(jwk)
    const name = `JWKS key ${i}`
    if (!read.ok) {
      if (read.skip) notes.push(`${name} ${read.message}: ignored`)
      else problems.push(`${name} ${read.message}`)
      return
    }
    if (read.kid === undefined) return void problems.push(`${name} has no kid, so nothing can name it`)
    const prior = keys.get(read.kid)
    if (prior !== undefined && !bytesEqual(prior, read.key)) {
      return void problems.push(`JWKS kid ${JSON.stringify(read.kid)} appears twice with different keys`)
    }
    keys.set(read.kid, read.key)
  })
  return { keys, problems, notes }
}

type Embedded = { ok: true; kid: string; key: Uint8Array } | { ok: false; message: string }

/** A bundle KeyVersion: `public_jwk` is base64url of the JWK's JSON text; a JWK without kid takes key_id. */
export function decodeKeyVersion(version: KeyVersion): Embedded {
  const name = `bundle key ${JSON.stringify(version.key_id)}`
  if (version.algorithm !== LEDGER_SIGNATURE_ALGORITHM) {
    return { ok: false, message: `${name} has algorithm ${JSON.stringify(version.algorithm)}, expected "Ed25519"` }
  }
  const text = base64urlDecode(version.public_jwk)
  if (text === undefined || text.length === 0) return { ok: false, message: `${name} has no base64url public_jwk` }
  let jwk: unknown
  try {
    jwk = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text))
  } catch {
    return { ok: false, message: `${name}: public_jwk is not base64url of JSON text` }
  }
  const read = readJwk(jwk)
  if (!read.ok) return { ok: false, message: `${name}: public_jwk ${read.message}` }
  if (read.kid !== undefined && read.kid !== version.key_id) {
    return { ok: false, message: `${name}: public_jwk names kid ${JSON.stringify(read.kid)}` }
  }
  return { ok: true, kid: version.key_id, key: read.key }
}

export interface BundleKeyPolicy {
  /** The caller's trusted JWKS, parsed with parseJwks; null when none was given. */
  readonly pinned: KeySet | null
  /** Use embedded keys without pins. Off by default: a forger embeds their own key. */
  readonly trustEmbeddedKeys: boolean
}

export interface ResolvedKeys {
  readonly trusted: ReadonlyMap<string, Uint8Array>
  readonly problems: string[]
  readonly notes: string[]
}

/**
 * The keys a bundle's signatures are checked against. With pins: the pinned keys, and each embedded
 * key must equal the pinned key of its kid. Without pins: the embedded keys only when explicitly
 * trusted, otherwise none (fail closed). A non-empty `keys` list must name every signer (spec §7.8
 * "keys = every key that signed something in the bundle").
 */
export function resolveBundleKeys(embedded: readonly KeyVersion[], signerKids: readonly string[], policy: BundleKeyPolicy): ResolvedKeys {
  const problems: string[] = policy.pinned === null ? [] : [...policy.pinned.problems]
  const notes: string[] = policy.pinned === null ? [] : [...policy.pinned.notes]
  const decoded = new Map<string, Uint8Array>()
  for (const version of embedded) {
    const d = decodeKeyVersion(version)
    if (!d.ok) problems.push(d.message)
    else if (decoded.has(d.kid) && !bytesEqual(decoded.get(d.kid)!, d.key)) problems.push(`bundle key ${JSON.stringify(d.kid)} appears twice with different keys`)
    else decoded.set(d.kid, d.key)
  }
  if (embedded.length > 0) {
    for (const kid of new Set(signerKids)) {
      if (!embedded.some((v) => v.key_id === kid)) problems.push(`bundle keys do not include signer ${JSON.stringify(kid)}`)
    }
  }
  let trusted: ReadonlyMap<string, Uint8Array>
  if (policy.pinned !== null) {
    trusted = policy.pinned.keys
    for (const [kid, key] of decoded) {
      const pin = trusted.get(kid)
      if (pin === undefined) problems.push(`bundle key ${JSON.stringify(kid)} is not in the pinned key set`)
      else if (!bytesEqual(pin, key)) problems.push(`bundle key ${JSON.stringify(kid)} does not match the pinned key with that kid`)
    }
  } else if (policy.trustEmbeddedKeys) {
    trusted = decoded
    notes.push('keys are UNPINNED: the bundle\'s own embedded keys were trusted as asked; a forger can embed their own key')
  } else {
    trusted = new Map()
    problems.push('no pinned keys: embedded keys prove nothing on their own (pass a JWKS, or explicitly trust the embedded keys)')
  }
  for (const kid of new Set(signerKids)) {
    if (!trusted.has(kid) && (policy.pinned !== null || policy.trustEmbeddedKeys)) problems.push(`no trusted key for signer ${JSON.stringify(kid)}`)
  }
  return { trusted, problems, notes }
}
