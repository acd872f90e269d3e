// Wire shapes of dashboard users and sessions (snake_case, ISO times), shared by /ui/api and /users.
import type { DashboardSessionRecord, DashboardUserRecord } from '../../../store/index.ts'

export interface UserView {
  user_id: string
  email: string
  role: string
  tenant_id: string
}

export function userView(u: DashboardUserRecord): UserView {
  return { user_id: u.userId, email: u.email, role: u.role, tenant_id: u.tenantId }
}

/** The admin listing adds state and times. */
export function userDetailView(u: DashboardUserRecord): Record<string, unknown> {
  return {
    ...userView(u),
    disabled: u.disabledAtMs !== null,
    disabled_at: u.disabledAtMs === null ? null : new Date(u.disabledAtMs).toISOString(),
    created_at: new Date(u.createdAtMs).toISOString(),
    password_changed_at: new Date(u.passwordChangedAtMs).toISOString(),
  }
}

export function sessionView(s: DashboardSessionRecord, currentId: string | null): Record<string, unknown> {
  return {
    session_id: s.sessionId,
    created_at: new Date(s.createdAtMs).toISOString(),
    last_seen_at: new Date(s.lastSeenAtMs).toISOString(),
    ip: s.ip,
    user_agent: s.userAgent,
    current: s.sessionId === currentId,
  }
}
