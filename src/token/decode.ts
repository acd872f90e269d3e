// Cheap structural checks on a compact A-JWT before any crypto (STYLE.md §5 "cheap checks first"):
// size, three base64url parts found in one charCode pass, the protected header (alg, kid, crit) and
// the signature length. Failures are preallocated values, so a flood of junk costs no allocation.
import { isUtf8 } from 'node:buffer'

export type TokenErrorCode =
  | 'token_malformed'
  | 'token_algorithm_not_allowed'
  | 'token_key_unknown'
  | 'token_signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_wrong_issuer'
  | 'token_wrong_audience'
  | 'token_wrong_subject'

/** `detail` is operator-facing and never contains token text. Failures are shared frozen objects. */
export type TokenFailure = { ok: false; code: TokenErrorCode; detail: string }

export interface DecodedToken {
  kid: string
  header: Readonly<Record<string, unknown>>
  /** ASCII bytes of "<b64 header>.<b64 payload>": what the signature covers. */
  signingInput: Buffer
  /** Exactly 64 bytes. */
  signature: Buffer
  payloadB64: string
}

/** A Vault A-JWT is ~700 characters; 8 KiB leaves room for large claim sets and refuses junk early. */
export const MAX_TOKEN_LENGTH = 8192
/** Unpadded base64url of a 64-byte Ed25519 signature: ceil(64 * 8 / 6). */
const SIGNATURE_B64_LENGTH = 86
const DOT = 46

// 1 for the base64url alphabet (RFC 4648 §5) without padding; indexed by char code < 128.
const B64URL = new Uint8Array(128)
for (let c = 65; c <= 90; c++) B64URL[c] = 1
for (let c = 97; c <= 122; c++) B64URL[c] = 1
for (let c = 48; c <= 57; c++) B64URL[c] = 1
B64URL[45] = 1 // '-'
B64URL[95] = 1 // '_'

// Base64url value of the last signature character must have its low 4 bits clear: 86 chars carry
// 516 bits for 512. Decoders ignore those bits, so without this check one signature has 16 spellings.
function lastSignatureCharIsCanonical(c: number): boolean {
  let v: number
  if (c >= 65 && c <= 90) v = c - 65
  else if (c >= 97 && c <= 122) v = c - 71
  else if (c >= 48 && c <= 57) v = c + 4
  else v = c === 45 ? 62 : 63
  return (v & 0x0f) === 0
}

function failure(code: TokenErrorCode, detail: string): TokenFailure {
  return Object.freeze({ ok: false, code, detail }) as TokenFailure
}

const TOO_LONG = failure('token_malformed', `token is longer than ${MAX_TOKEN_LENGTH} characters`)
const BAD_CHAR = failure('token_malformed', 'token contains a character outside the base64url alphabet')
const BAD_SHAPE = failure('token_malformed', 'token is not a JWS compact serialization (header.payload.signature)')
const BAD_HEADER = failure('token_malformed', 'protected header is not a base64url JSON object')
const ALG_NOT_ALLOWED = failure('token_algorithm_not_allowed', 'header alg must be "EdDSA"')
const NO_KID = failure('token_malformed', 'header kid must be a non-empty string')
const CRIT = failure('token_malformed', 'header crit is not supported (no JWS extensions are understood)')
const BAD_SIGNATURE = failure('token_signature_invalid', 'signature is not a canonical 64-byte Ed25519 signature')

/** Parses base64url text into a JSON object, or null. Strict UTF-8, like jose's fatal TextDecoder. */
export function parseB64JsonObject(b64: string): Record<string, unknown> | null {
  const bytes = Buffer.from(b64, 'base64url')
  if (!isUtf8(bytes)) return null
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  return value as Record<string, unknown>
}

export function decodeToken(token: string): { ok: true; value: DecodedToken } | TokenFailure {
  const length = token.length
  if (length > MAX_TOKEN_LENGTH) return TOO_LONG
  // One pass: alphabet check and dot positions (no split, no regex).
  let dot1 = -1
  let dot2 = -1
  for (let i = 0; i < length; i++) {
    const c = token.charCodeAt(i)
    if (c === DOT) {
      if (dot1 === -1) dot1 = i
      else if (dot2 === -1) dot2 = i
      else return BAD_SHAPE
    } else if (c >= 128 || B64URL[c] === 0) {
      return BAD_CHAR
    }
  }
  // An empty signature is let through here so that `alg: none` tokens get the precise code below.
  if (dot2 === -1 || dot1 === 0 || dot2 === dot1 + 1) return BAD_SHAPE
  // A base64 group of 4 chars never leaves a single trailing char: such a length cannot be valid.
  if (dot1 % 4 === 1 || (dot2 - dot1 - 1) % 4 === 1) return BAD_SHAPE

  const header = parseB64JsonObject(token.substring(0, dot1))
  if (header === null) return BAD_HEADER
  // alg before any key lookup: 'none', 'HS256' (key confusion) and 'Ed25519' never reach crypto.
  if (header.alg !== 'EdDSA') return ALG_NOT_ALLOWED
  const kid = header.kid
  if (typeof kid !== 'string' || kid.length === 0) return NO_KID
  // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand; we understand none.
  if (header.crit !== undefined) return CRIT

  if (length - dot2 - 1 !== SIGNATURE_B64_LENGTH) return BAD_SIGNATURE
  if (!lastSignatureCharIsCanonical(token.charCodeAt(length - 1))) return BAD_SIGNATURE

  return {
    ok: true,
    value: {
      kid,
      header,
      signingInput: Buffer.from(token.substring(0, dot2), 'latin1'),
      signature: Buffer.from(token.substring(dot2 + 1), 'base64url'),
      payloadB64: token.substring(dot1 + 1, dot2),
    },
  }
}
