// Signature then claims for a decoded A-JWT (spec §5.1, ARCHITECTURE.md "Request path" step 4).
// Stricter than the SDK where single-use demands it: exp required, iat checked with skew, jti a
// non-empty string. Expected failures are values (STYLE.md §2); nothing here throws on bad input.
import { verify as cryptoVerify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { decodeToken, parseB64JsonObject } from './decode.ts'
import type { DecodedToken, TokenErrorCode, TokenFailure } from './decode.ts'

/** Strings default to '' when absent; numbers are null when absent. */
export interface AJwtClaims {
  iss: string
  sub: string
  aud: readonly string[]
  exp: number | null
  nbf: number | null
  iat: number | null
  jti: string
  tool: string
  agent_id: string
  session_id: string
  policy_id: string
  request_id: string
  decision: string
  tool_args_hash: string | null
  /** The parsed payload, every claim as sent. */
  raw: Readonly<Record<string, unknown>>
}

export interface ClaimPolicy {
  issuer: string
  audience: string
  subject: string
  clockSkewSeconds: number
  requireExp: boolean
}

export type VerifyResult = { ok: true; claims: AJwtClaims } | TokenFailure

function failure(code: TokenErrorCode, detail: string): TokenFailure {
  return Object.freeze({ ok: false, code, detail }) as TokenFailure
}

const NOT_ED25519 = failure('token_key_unknown', 'the key for this kid is not an Ed25519 key')
const SIGNATURE_INVALID = failure('token_signature_invalid', 'signature verification failed')
const PAYLOAD_MALFORMED = failure('token_malformed', 'payload is not a base64url JSON object')
const WRONG_ISSUER = failure('token_wrong_issuer', 'iss claim does not match the configured issuer')
const WRONG_AUDIENCE = failure('token_wrong_audience', 'aud claim does not contain the configured audience')
const WRONG_SUBJECT = failure('token_wrong_subject', 'sub claim does not match the configured subject')
const EXP_MISSING = failure('token_malformed', 'exp claim is required: a single-use token must expire')
const EXP_NOT_NUMBER = failure('token_malformed', 'exp claim must be a finite number')
const NBF_NOT_NUMBER = failure('token_malformed', 'nbf claim must be a finite number')
const IAT_NOT_NUMBER = failure('token_malformed', 'iat claim must be a finite number')
const EXPIRED = failure('token_expired', 'exp claim is in the past')
const NBF_FUTURE = failure('token_not_yet_valid', 'nbf claim is in the future')
const IAT_FUTURE = failure('token_not_yet_valid', 'iat claim is in the future')
const JTI_MISSING = failure('token_malformed', 'jti claim must be a non-empty string')
const TOOL_NOT_STRING = failure('token_malformed', 'tool claim must be a string')
const HASH_NOT_STRING = failure('token_malformed', 'tool_args_hash claim must be a string')
const KEY_UNKNOWN = failure('token_key_unknown', 'no verification key for the token kid')

function stringClaim(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function isAllStrings(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'string') return false
  return true
}

// Time claims: absent → undefined; present but not a finite number → null (a malformed token).
// JSON.parse turns 1e999 into Infinity, which would otherwise mean "never expires".
function timeClaim(value: unknown): number | null | undefined {
  if (value === undefined) return undefined
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** Claim checks on a verified payload. Pure: `nowMs` is the one clock read of the request. */
export function checkClaims(payload: Record<string, unknown>, policy: ClaimPolicy, nowMs: number): VerifyResult {
  if (payload.iss !== policy.issuer) return WRONG_ISSUER
  const aud = payload.aud
  let audience: readonly string[]
  if (typeof aud === 'string') {
    if (aud !== policy.audience) return WRONG_AUDIENCE
    audience = [aud]
  } else if (Array.isArray(aud)) {
    if (!aud.includes(policy.audience)) return WRONG_AUDIENCE
    const members: readonly unknown[] = aud
    audience = isAllStrings(members) ? (members as readonly string[]) : members.filter((v): v is string => typeof v === 'string')
  } else {
    return WRONG_AUDIENCE
  }
  if (payload.sub !== policy.subject) return WRONG_SUBJECT

  // Whole seconds, as jose's epoch(): comparing against a fractional now would accept an nbf jose refuses.
  const nowSeconds = Math.floor(nowMs / 1000)
  const skew = policy.clockSkewSeconds
  const exp = timeClaim(payload.exp)
  if (exp === undefined) {
    if (policy.requireExp) return EXP_MISSING
  } else if (exp === null) {
    return EXP_NOT_NUMBER
  } else if (nowSeconds >= exp + skew) {
    return EXPIRED
  }
  const nbf = timeClaim(payload.nbf)
  if (nbf === null) return NBF_NOT_NUMBER
  if (nbf !== undefined && nbf > nowSeconds + skew) return NBF_FUTURE
  const iat = timeClaim(payload.iat)
  if (iat === null) return IAT_NOT_NUMBER
  if (iat !== undefined && iat > nowSeconds + skew) return IAT_FUTURE

  const jti = payload.jti
  if (typeof jti !== 'string' || jti.length === 0) return JTI_MISSING
  const tool = payload.tool
  if (tool !== undefined && typeof tool !== 'string') return TOOL_NOT_STRING
  const hash = payload.tool_args_hash
  if (hash !== undefined && hash !== null && typeof hash !== 'string') return HASH_NOT_STRING

  return {
    ok: true,
    claims: {
      iss: payload.iss as string,
      sub: payload.sub as string,
      aud: audience,
      exp: exp ?? null,
      nbf: nbf ?? null,
      iat: iat ?? null,
      jti,
      tool: tool ?? '',
      agent_id: stringClaim(payload.agent_id),
      session_id: stringClaim(payload.session_id),
      policy_id: stringClaim(payload.policy_id),
      request_id: stringClaim(payload.request_id),
      decision: stringClaim(payload.decision),
      tool_args_hash: typeof hash === 'string' ? hash : null,
      raw: payload,
    },
  }
}

/** Signature (node:crypto, cached KeyObject), then payload, then claims. */
export function verifyDecoded(token: DecodedToken, key: KeyObject, policy: ClaimPolicy, nowMs: number): VerifyResult {
  if (key.asymmetricKeyType !== 'ed25519') return NOT_ED25519
  if (!cryptoVerify(null, token.signingInput, key, token.signature)) return SIGNATURE_INVALID
  const payload = parseB64JsonObject(token.payloadB64)
  if (payload === null) return PAYLOAD_MALFORMED
  return checkClaims(payload, policy, nowMs)
}

/** decode → key lookup (undefined → token_key_unknown) → verifyDecoded. */
export function verifyToken(
  token: string,
  lookupKey: (kid: string) => KeyObject | undefined,
  policy: ClaimPolicy,
  nowMs: number,
): VerifyResult {
  const decoded = decodeToken(token)
  if (!decoded.ok) return decoded
  const key = lookupKey(decoded.value.kid)
  if (key === undefined) return KEY_UNKNOWN
  return verifyDecoded(decoded.value, key, policy, nowMs)
}
