// The identity headers injected upstream and the one encoding of their values
// (docs/design/identity-headers.md). A claim is never left out: a value that is not header-safe is
// percent-encoded, so the upstream always receives exactly one header of each name.

/** Injected in this order, first in the upstream header block (header-policy.ts). */
export const IDENTITY_HEADER_NAMES = [
  'x-ledgix-agent-id',
  'x-ledgix-tool',
  'x-ledgix-policy-id',
  'x-ledgix-session-id',
  'x-ledgix-token-id',
  'x-ledgix-decision',
] as const

/**
 * Encoded length above which a token is refused (401 token_claim_invalid, before the burn): six such
 * values stay under nginx's 8 KiB large_client_header_buffers line and Apache's 8190-byte field limit.
 */
export const MAX_IDENTITY_VALUE_LENGTH = 1024

/**
 * 1 = sent as is. Visible ASCII except '%' (the escape, so the mapping stays injective), '"' and
 * '\' (quoted-string syntax), ',' and ';' (list and parameter delimiters in RFC 9110 field values).
 * Space, controls and everything non-ASCII are encoded: leading/trailing space would be trimmed by
 * every parser, CR/LF would split the header, and node:http would send non-ASCII as Latin-1.
 */
const SAFE = new Uint8Array(128)
for (let c = 0x21; c <= 0x7e; c++) SAFE[c] = 1
for (const c of '%",;\\') SAFE[c.charCodeAt(0)] = 0

const HEX = '0123456789ABCDEF'

/**
 * The header value for a claim: the claim itself when every character is safe (no allocation),
 * else RFC 3986 percent-encoding of its UTF-8 bytes for each unsafe character (uppercase hex).
 * `decodeURIComponent` restores it. null when the claim is not well-formed Unicode (a lone
 * surrogate has no UTF-8 form, so no injective encoding) or encodes longer than the limit.
 */
export function encodeIdentityValue(value: string): string | null {
  let i = 0
  const length = value.length
  while (i < length) {
    const c = value.charCodeAt(i)
    if (c >= 128 || SAFE[c] === 0) break
    i++
  }
  if (i === length) return length > MAX_IDENTITY_VALUE_LENGTH ? null : value
  let out = value.slice(0, i)
  for (; i < length; i++) {
    let c = value.charCodeAt(i)
    if (c < 128) {
      out += SAFE[c] === 1 ? value[i]! : escape(c)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? value.charCodeAt(i + 1) : 0
      if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) return null
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
      i++
    }
    out += utf8Escapes(c)
  }
  return out.length > MAX_IDENTITY_VALUE_LENGTH ? null : out
}

function escape(byte: number): string {
  return '%' + HEX[byte >> 4]! + HEX[byte & 15]!
}

function utf8Escapes(cp: number): string {
  if (cp < 0x800) return escape(0xc0 | (cp >> 6)) + escape(0x80 | (cp & 63))
  if (cp < 0x10000) return escape(0xe0 | (cp >> 12)) + escape(0x80 | ((cp >> 6) & 63)) + escape(0x80 | (cp & 63))
  return escape(0xf0 | (cp >> 18)) + escape(0x80 | ((cp >> 12) & 63)) + escape(0x80 | ((cp >> 6) & 63)) + escape(0x80 | (cp & 63))
}

/** The claims the identity headers carry (AJwtClaims satisfies this). */
export interface IdentityClaims {
  readonly agent_id: string
  readonly tool: string
  readonly policy_id: string
  readonly session_id: string
  readonly jti: string
  readonly decision: string
  /** The payload as sent: a claim present with another type than string is refused, not emptied. */
  readonly raw: Readonly<Record<string, unknown>>
}

/** Claims the verifier reads as '' when they are not strings (jti and tool it refuses itself). */
const STRING_CLAIMS = ['agent_id', 'policy_id', 'session_id', 'decision'] as const

/**
 * The six header values in IDENTITY_HEADER_NAMES order, or null when one cannot be encoded. An
 * absent claim is sent as an empty value: the header set is the same on every token request. A
 * claim present as a number, object, array or null would otherwise be sent as that same empty
 * value, silently: such a token is refused (null) instead.
 */
export function identityValues(claims: IdentityClaims): string[] | null {
  const raw = claims.raw
  for (let i = 0; i < STRING_CLAIMS.length; i++) {
    const value = raw[STRING_CLAIMS[i]!]
    if (value !== undefined && typeof value !== 'string') return null
  }
  const agent = encodeIdentityValue(claims.agent_id)
  const tool = encodeIdentityValue(claims.tool)
  const policy = encodeIdentityValue(claims.policy_id)
  const session = encodeIdentityValue(claims.session_id)
  const jti = encodeIdentityValue(claims.jti)
  const decision = encodeIdentityValue(claims.decision)
  if (agent === null || tool === null || policy === null || session === null || jti === null || decision === null) return null
  return [agent, tool, policy, session, jti, decision]
}
