// The one catalog of every error the gateway and the Vault put on the wire: status, stable code, title.
// Codes are snake_case and stable forever: never rename or reuse one (README "Errors" lists them all,
// and test/core/errors.catalog.test.ts keeps the two in lockstep).

export const ERRORS = {
  // Gateway: token pipeline (401 carries WWW-Authenticate: Bearer error="invalid_token").
  token_missing: { status: 401, title: 'Bearer token missing' },
  token_malformed: { status: 401, title: 'Bearer token malformed' },
  token_algorithm_not_allowed: { status: 401, title: 'Token algorithm not allowed' },
  token_key_unknown: { status: 401, title: 'Token signing key unknown' },
  token_signature_invalid: { status: 401, title: 'Token signature invalid' },
  token_expired: { status: 401, title: 'Token expired' },
  token_not_yet_valid: { status: 401, title: 'Token not yet valid' },
  token_wrong_issuer: { status: 401, title: 'Token issuer not accepted' },
  token_wrong_audience: { status: 401, title: 'Token audience not accepted' },
  token_wrong_subject: { status: 401, title: 'Token subject not accepted' },
  tool_not_allowed: { status: 403, title: 'Tool not allowed on this route' },
  tool_args_mismatch: { status: 403, title: 'Request body does not match the approved tool arguments' },
  token_replayed: { status: 409, title: 'Token already used' },
  token_in_use: { status: 409, title: 'Token is in use by another request' },
  agent_locked: { status: 403, title: 'Agent is locked down' },
  vault_unavailable: { status: 503, title: 'Vault unavailable' },
  keys_unavailable: { status: 503, title: 'Verification keys unavailable' },
  token_claim_invalid: { status: 401, title: 'Token identity claim cannot be sent upstream' },
  // Gateway: routing and upstream.
  route_not_found: { status: 404, title: 'No route matches this request' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  body_too_large: { status: 413, title: 'Request body too large' },
  body_not_json: { status: 400, title: 'Request body is not valid JSON' },
  path_not_canonical: { status: 400, title: 'Request path has more than one reading' },
  host_invalid: { status: 400, title: 'Host header repeated or invalid' },
  request_header_fields_too_large: { status: 431, title: 'Too many request header fields' },
  body_not_utf8: { status: 400, title: 'Request body is not valid UTF-8' },
  body_duplicate_key: { status: 400, title: 'Request body has a duplicate key' },
  body_number_inexact: { status: 400, title: 'Request body has a number that is not exactly the hashed value' },
  body_key_collision: { status: 400, title: 'Request body has keys that collide under the snake_case rewrite' },
  body_not_object: { status: 400, title: 'Request body is not a JSON object' },
  body_media_type: { status: 415, title: 'Request body is not declared as UTF-8 JSON' },
  body_content_encoding: { status: 415, title: 'Request body has a content or transfer coding' },
  query_not_allowed: { status: 400, title: 'Query string not allowed where arguments are bound' },
  upstream_unavailable: { status: 502, title: 'Upstream unavailable' },
  upstream_timeout: { status: 504, title: 'Upstream timed out' },
  shutting_down: { status: 503, title: 'Gateway is shutting down' },
  // Shared.
  overloaded: { status: 503, title: 'Overloaded, retry later' },
  internal_error: { status: 500, title: 'Internal error' },
  // Vault API.
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_json: { status: 400, title: 'Malformed JSON body' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  api_key_missing: { status: 401, title: 'API key missing' },
  api_key_invalid: { status: 401, title: 'API key invalid or revoked' },
  admin_key_invalid: { status: 401, title: 'Admin key missing or invalid' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  not_found: { status: 404, title: 'Not found' },
  idempotency_conflict: { status: 409, title: 'Idempotency-Key reused with a different request' },
  review_already_decided: { status: 409, title: 'Review already decided' },
  rate_limited: { status: 429, title: 'Too many requests' },
  token_key_revoked: { status: 401, title: 'Token signing key revoked' },
  token_wrong_tenant: { status: 401, title: 'Token was issued to another tenant' },
  record_not_ledgerable: { status: 409, title: 'Stored request cannot be recorded in the ledger' },
  headers_too_large: { status: 431, title: 'Request line and headers too large' },
  request_timeout: { status: 408, title: 'Request not received in time' },
  tenant_exists: { status: 409, title: 'Tenant already exists' },
  key_ring_changed: { status: 409, title: 'Signing key ring changed concurrently' },
  slack_signature_invalid: { status: 401, title: 'Slack request signature missing, stale, replayed or invalid' },
  report_not_ready: { status: 409, title: 'Report is not ready yet' },
  // Dashboard users and sessions (src/vault/dashboard/auth).
  setup_done: { status: 409, title: 'Dashboard setup already done' },
  setup_token_invalid: { status: 401, title: 'Setup token missing or invalid' },
  login_failed: { status: 401, title: 'Login failed' },
  session_invalid: { status: 401, title: 'Session missing, expired or revoked' },
  csrf_rejected: { status: 403, title: 'Cross-site request refused' },
  insecure_transport: { status: 403, title: 'Dashboard sessions need HTTPS or a loopback host' },
  password_rejected: { status: 400, title: 'Password does not meet the policy' },
  user_exists: { status: 409, title: 'A user with this email already exists' },
  api_key_expired: { status: 401, title: 'API key expired' },
  api_key_not_active: { status: 409, title: 'API key is revoked, expired or already rotated' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERRORS

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  request_id: string
}

/** Base URI of the `type` member: one page per code in the README error table. */
export const PROBLEM_TYPE_BASE = 'https://ledgix.dev/errors/'

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value)
}

export class LedgixError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: string

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? ERRORS[code].title, options)
    this.name = 'LedgixError'
    this.code = code
    this.status = ERRORS[code].status
    this.detail = detail ?? ERRORS[code].title
  }

  toProblem(requestId: string): Problem {
    return problemFor(this.code, this.detail, requestId)
  }
}

/** RFC 9457 body for a code. `detail` must never hold token text, keys, SQL or raw upstream errors. */
export function problemFor(code: ErrorCode, detail: string | undefined, requestId: string): Problem {
  const entry = ERRORS[code]
  return {
    type: PROBLEM_TYPE_BASE + code,
    title: entry.title,
    status: entry.status,
    detail: detail ?? entry.title,
    code,
    request_id: requestId,
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** RFC 6750 §3: every 401 from the token pipeline names the failure class. */
export const WWW_AUTHENTICATE_INVALID_TOKEN = 'Bearer error="invalid_token"'
export const WWW_AUTHENTICATE_MISSING = 'Bearer realm="ledgix-gateway"'
