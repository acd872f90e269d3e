// The boot JSON the server puts in <script type="application/json" id="boot"> (contract §1 session
// shape, plus insecure_http). Parsed defensively: a missing or odd block means "not signed in". Pure.

export type Role = 'admin' | 'reviewer' | 'viewer'

export interface SessionUser {
  user_id: string
  email: string
  role: Role
  tenant_id: string
}

export interface Boot {
  user: SessionUser | null
  csrfToken: string
  setupRequired: boolean
  /** Server time minus local time at boot (ms): add to Date.now() for server time. */
  clockOffsetMs: number
  insecureHttp: boolean
}

function isRole(v: unknown): v is Role {
  return v === 'admin' || v === 'reviewer' || v === 'viewer'
}

function userOf(v: unknown): SessionUser | null {
  if (typeof v !== 'object' || v === null) return null
  const u = v as Record<string, unknown>
  if (typeof u['user_id'] !== 'string' || typeof u['email'] !== 'string' || !isRole(u['role'])) return null
  return { user_id: u['user_id'], email: u['email'], role: u['role'], tenant_id: typeof u['tenant_id'] === 'string' ? u['tenant_id'] : '' }
}

/** server_time may be an ISO string or epoch milliseconds. */
export function serverTimeMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string') {
    const t = Date.parse(v)
    return Number.isFinite(t) ? t : null
  }
  return null
}

export function parseSession(value: unknown, localNowMs: number): Boot {
  const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  const server = serverTimeMs(o['server_time'])
  return {
    user: userOf(o['user']),
    csrfToken: typeof o['csrf_token'] === 'string' ? o['csrf_token'] : '',
    setupRequired: o['setup_required'] === true,
    clockOffsetMs: server === null ? 0 : server - localNowMs,
    insecureHttp: o['insecure_http'] === true,
  }
}

export function parseBoot(text: string | null | undefined, localNowMs: number): Boot {
  let value: unknown = null
  try {
    value = text === null || text === undefined || text === '' ? null : JSON.parse(text)
  } catch {
    value = null
  }
  return parseSession(value, localNowMs)
}

export function canDecide(role: Role | undefined): boolean {
  return role === 'admin' || role === 'reviewer'
}
