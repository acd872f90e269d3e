// Load-time screening of Ed25519 public keys (JWKS, key ring, proof bundles). OpenSSL — and
// @noble/ed25519 unless zip215:false — accept an all-zero-S signature under a small-order key for
// ANY message, so every key loader refuses small-order and non-canonical encodings. Never on the
// hot path: run once per key when a key set is loaded.
import { Point } from '@noble/ed25519'

export type PublicKeyProblem = 'wrong_length' | 'non_canonical' | 'not_on_curve' | 'small_order'

/** null when `bytes` is a canonical, prime-order-subgroup-safe Ed25519 public key. */
export function checkEd25519PublicKey(bytes: Uint8Array): PublicKeyProblem | null {
  if (bytes.length !== 32) return 'wrong_length'
  let point: Point
  try {
    // zip215 = false: RFC 8032 strict decoding, which rejects y >= p (non-canonical encodings).
    point = Point.fromBytes(bytes, false)
  } catch {
    return isNonCanonicalY(bytes) ? 'non_canonical' : 'not_on_curve'
  }
  // Re-encoding must reproduce the input exactly (catches x = 0 with the sign bit set).
  const again = point.toBytes()
  for (let i = 0; i < 32; i++) if (again[i] !== bytes[i]) return 'non_canonical'
  if (point.isSmallOrder()) return 'small_order'
  return null
}

// y is the little-endian 255-bit value; p = 2^255 - 19. y >= p is a non-canonical encoding.
function isNonCanonicalY(bytes: Uint8Array): boolean {
  if ((bytes[31]! & 0x7f) !== 0x7f) return false
  for (let i = 30; i >= 1; i--) if (bytes[i] !== 0xff) return false
  return bytes[0]! >= 0xed
}
