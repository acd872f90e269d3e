// Byte helpers shared by the ledger's pure code: strict lowercase hex, strict unpadded base64url,
// UTF-8 and concatenation. No Buffer and no `node:` import, so a browser runs the same verifier.

const HEX = '0123456789abcdef'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const B64URL_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < B64URL.length; i++) B64URL_VALUE[B64URL.charCodeAt(i)] = i
const HEX_CODE = Uint8Array.from(HEX, (c) => c.charCodeAt(0))
const B64URL_CODE = Uint8Array.from(B64URL, (c) => c.charCodeAt(0))

const utf8 = new TextEncoder()

export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text)
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    out += HEX[b >> 4]! + HEX[b & 15]!
  }
  return out
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  return -1
}

/**
 * Lowercase hex only: the wire is lowercase (spec §7.3) and the SDK compares hex strings exactly,
 * so an uppercase digest is a different value, not an alternative spelling. undefined when invalid.
 */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i))
    const lo = hexNibble(hex.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) return undefined
    out[i] = (hi << 4) | lo
  }
  return out
}

/** A 32-byte digest as 64 lowercase hex characters, or undefined. */
export function digestFromHex(hex: string): Uint8Array | undefined {
  return hex.length === 64 ? hexToBytes(hex) : undefined
}

export function base64urlEncode(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!
  }
  return out
}

/**
 * Strict unpadded base64url (RFC 4648 §5): no padding, no whitespace, no standard-alphabet
 * characters, and unused trailing bits must be zero — so one byte string has exactly one text
 * form and a changed character can never decode to the same bytes. undefined when invalid.
 */
export function base64urlDecode(text: string): Uint8Array | undefined {
  const rest = text.length % 4
  if (rest === 1) return undefined
  const out = new Uint8Array(Math.floor(text.length / 4) * 3 + (rest === 0 ? 0 : rest - 1))
  let o = 0
  let acc = 0
  let bits = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const v = code < 128 ? B64URL_VALUE[code]! : -1
    if (v < 0) return undefined
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// Allocation-free comparisons for the verifier's per-row path: each is true exactly when the
// allocating spelling (bytesToHex(bytes) === hex, base64urlEncode(bytes) === text) is.

/** True when `hex` is exactly the lowercase hex of `bytes`. */
export function bytesEqualHex(bytes: Uint8Array, hex: string): boolean {
  if (hex.length !== 2 * bytes.length) return false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (hex.charCodeAt(2 * i) !== HEX_CODE[b >> 4] || hex.charCodeAt(2 * i + 1) !== HEX_CODE[b & 15]) return false
  }
  return true
}

/** Decode lowercase hex into out[offset…]; false (out partly written) unless it is exactly out's room. */
export function hexInto(hex: string, out: Uint8Array, offset: number): boolean {
  if (hex.length !== 2 * (out.length - offset)) return false
  for (let i = 0; i < hex.length; i += 2) {
    const hi = hexNibble(hex.charCodeAt(i))
    const lo = hexNibble(hex.charCodeAt(i + 1))
    if (hi < 0 || lo < 0) return false
    out[offset + i / 2] = (hi << 4) | lo
  }
  return true
}

/**
 * True when `text` is the unpadded base64url of bytes[0, length). Strict decoding (base64urlDecode)
 * accepts exactly one text per byte string, so this equals "text decodes to these bytes".
 */
export function base64urlMatches(text: string, bytes: Uint8Array, length: number): boolean {
  const rest = length % 3
  if (text.length !== ((length - rest) / 3) * 4 + (rest === 0 ? 0 : rest + 1)) return false
  let t = 0
  let i = 0
  for (; i + 2 < length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    if (
      text.charCodeAt(t) !== B64URL_CODE[n >> 18] ||
      text.charCodeAt(t + 1) !== B64URL_CODE[(n >> 12) & 63] ||
      text.charCodeAt(t + 2) !== B64URL_CODE[(n >> 6) & 63] ||
      text.charCodeAt(t + 3) !== B64URL_CODE[n & 63]
    ) return false
    t += 4
  }
  if (rest === 1) {
    const n = bytes[i]! << 16
    return text.charCodeAt(t) === B64URL_CODE[n >> 18] && text.charCodeAt(t + 1) === B64URL_CODE[(n >> 12) & 63]
  }
  if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    return (
      text.charCodeAt(t) === B64URL_CODE[n >> 18] &&
      text.charCodeAt(t + 1) === B64URL_CODE[(n >> 12) & 63] &&
      text.charCodeAt(t + 2) === B64URL_CODE[(n >> 6) & 63]
    )
  }
  return true
}
