// Session authentication for customer routes (the hook in src/vault/auth.ts calls this when no
// X-Vault-API-Key is sent): cookie → live session → the caller as an AuthContext, with CSRF enforced
// on state-changing requests. Returns plain values so src/vault/auth.ts maps them to its refusals.
import type { IncomingMessage } from 'node:http'
import type { ApiKeyId, ErrorCode } from '../../../core/index.ts'
import type { AuthContext } from '../../context.ts'
import { csrfProblem } from './csrf.ts'
import type { DashboardAuth, ResolvedSession } from './service.ts'
import { hasSessionCookie, sessionTokenOf } from './transport.ts'

export type SessionAuthResult = { ok: true; auth: AuthContext; resolved: ResolvedSession } | { ok: false; code: ErrorCode; detail: string } | null

export function authContextOf(resolved: ResolvedSession): AuthContext {
  const { user, session } = resolved
  return {
    tenantId: user.tenantId,
    keyId: `user:${user.userId}` as ApiKeyId,
    role: user.role,
    keyName: user.email,
    user: { userId: user.userId, email: user.email, sessionId: session.sessionId },
  }
}

/** The request's live session, or null when it carries no usable cookie (no CSRF check here). */
export async function resolveRequestSession(dashboard: DashboardAuth, req: IncomingMessage): Promise<ResolvedSession | null> {
  const token = sessionTokenOf(req, dashboard.config)
  return token === null ? null : dashboard.resolve(token)
}

/**
 * null = the request carries no session cookie (the caller answers as for a missing API key);
 * otherwise the session's caller, or why not (401 session_invalid, 403 csrf_rejected).
 */
export async function authenticateSession(dashboard: DashboardAuth, req: IncomingMessage, stateChanging: boolean): Promise<SessionAuthResult> {
  if (!hasSessionCookie(req, dashboard.config)) return null
  const resolved = await resolveRequestSession(dashboard, req)
  if (resolved === null) return { ok: false, code: 'session_invalid', detail: 'the dashboard session expired or was revoked: log in again' }
  if (stateChanging) {
    const problem = csrfProblem(req, dashboard.config, dashboard.csrfKey, resolved.session.sessionId)
    if (problem !== null) return { ok: false, code: 'csrf_rejected', detail: problem }
  }
  return { ok: true, auth: authContextOf(resolved), resolved }
}
