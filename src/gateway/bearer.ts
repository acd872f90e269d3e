// Extract exactly one `Authorization: Bearer <token>` (RFC 6750 §2.1). Node keeps only the first
// of duplicated Authorization headers in req.headers, so count them in rawHeaders: two tokens on one
// request is an attack or a bug, never something to pick from.

/** The token, or the error code; a string result is the token itself only when `ok`. */
export type BearerResult = { ok: true; token: string } | { ok: false; code: 'token_missing' | 'token_malformed'; detail: string }

const MISSING: BearerResult = { ok: false, code: 'token_missing', detail: 'Send the A-JWT as "Authorization: Bearer <token>".' }
const DUPLICATE: BearerResult = { ok: false, code: 'token_malformed', detail: 'More than one Authorization header.' }
const WRONG_SCHEME: BearerResult = { ok: false, code: 'token_malformed', detail: 'Authorization scheme must be Bearer.' }
const EMPTY: BearerResult = { ok: false, code: 'token_malformed', detail: 'Bearer token is empty.' }

const AUTHORIZATION_LENGTH = 13

export function extractBearer(rawHeaders: readonly string[]): BearerResult {
  let value: string | null = null
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length !== AUTHORIZATION_LENGTH || name.toLowerCase() !== 'authorization') continue
    if (value !== null) return DUPLICATE
    value = rawHeaders[i + 1]!
  }
  if (value === null) return MISSING
  // "Bearer" is case-insensitive (RFC 9110 §11.1 auth-scheme); one or more spaces follow it.
  if (value.length < 7 || value.slice(0, 6).toLowerCase() !== 'bearer' || value.charCodeAt(6) !== 32) return WRONG_SCHEME
  let start = 7
  while (start < value.length && value.charCodeAt(start) === 32) start++
  let end = value.length
  while (end > start && value.charCodeAt(end - 1) === 32) end--
  if (end === start) return EMPTY
  return { ok: true, token: value.slice(start, end) }
}
