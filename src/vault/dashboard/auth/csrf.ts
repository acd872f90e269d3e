// CSRF for cookie-authenticated requests (docs/design/dashboard.md §1): Fetch Metadata first
// (Sec-Fetch-Site present and not same-origin → refused; absent → Origin must be our own origin),
// then the session-bound header X-Ledgix-CSRF = base64url(HMAC-SHA256(server key, session id)).
// Step 1 stops cross-site and same-host-other-port posts, which SameSite alone lets through
// (shared/design/dashboard.md §3.2.3); step 2 forces a preflight on any cross-origin script.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { VaultDashboardConfig } from '../../../config/types-vault.ts'
import { ownOrigin } from './transport.ts'

export const CSRF_HEADER = 'x-ledgix-csrf'

export function csrfTokenFor(key: Buffer, sessionId: string): string {
  return createHmac('sha256', key).update(sessionId, 'utf8').digest('base64url')
}

/** Why the request's origin is not ours (Fetch Metadata, else Origin), or null when it is. */
export function foreignOriginProblem(req: IncomingMessage, config: VaultDashboardConfig): string | null {
  const site = req.headers['sec-fetch-site']
  if (site !== undefined) {
    return site === 'same-origin' ? null : `Sec-Fetch-Site is "${String(site).slice(0, 20)}": only same-origin pages may change state`
  }
  const origin = req.headers.origin
  const own = ownOrigin(req, config)
  if (typeof origin !== 'string' || own === null || origin.toLowerCase() !== own) {
    return 'the Origin header is missing or not this server\'s origin'
  }
  return null
}

/** The full check for a cookie-authenticated state-changing request; null = allowed. */
export function csrfProblem(req: IncomingMessage, config: VaultDashboardConfig, key: Buffer, sessionId: string): string | null {
  const origin = foreignOriginProblem(req, config)
  if (origin !== null) return origin
  const sent = req.headers[CSRF_HEADER]
  if (typeof sent !== 'string' || sent === '') return 'send the session\'s CSRF token (csrf_token from GET /ui/api/session) in X-Ledgix-CSRF'
  const expected = Buffer.from(csrfTokenFor(key, sessionId), 'utf8')
  const given = Buffer.from(sent, 'utf8')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'X-Ledgix-CSRF does not match this session'
  return null
}
