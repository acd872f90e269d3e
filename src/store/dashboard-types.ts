// The dashboard's part of the Store contract: its users (per tenant, scrypt PHC hashes), server-side
// sessions (only sha256 of the cookie token is stored), the one-row-per-tenant first-admin guard and
// instance secrets (the CSRF HMAC key). Pure shapes: src/vault/dashboard/auth decides, a driver stores.
import type { TenantId } from '../core/index.ts'

export type DashboardRole = 'admin' | 'reviewer' | 'viewer'

export interface DashboardUserRecord {
  /** UUIDv7. */
  userId: string
  tenantId: TenantId
  /** Lowercased; unique per tenant. */
  email: string
  role: DashboardRole
  /** PHC string `$scrypt$ln=16,r=8,p=2$<salt>$<hash>`. */
  passwordHash: string
  disabledAtMs: number | null
  createdAtMs: number
  passwordChangedAtMs: number
}

export interface DashboardSessionRecord {
  /** UUIDv7: the public id (listings, revocation, the CSRF token's input); not the cookie. */
  sessionId: string
  /** sha256(cookie token) hex: the token itself is never stored. */
  tokenHash: string
  tenantId: TenantId
  userId: string
  createdAtMs: number
  lastSeenAtMs: number
  ip: string
  userAgent: string
  revokedAtMs: number | null
}

export interface DashboardBootstrapRecord {
  tenantId: TenantId
  userId: string
  claimedAtMs: number
}

/** Dashboard writes (members of the WriteOp union). */
export type DashboardWriteOp =
  /** guard: no user of the tenant has this email. */
  | { op: 'dashboard_user_insert'; user: DashboardUserRecord }
  /** guard: the user exists in the tenant (every field but ids and createdAtMs is replaced). */
  | { op: 'dashboard_user_update'; user: DashboardUserRecord }
  /** guard: the tenant's first-admin setup was never claimed (a unique row decides, across replicas). */
  | { op: 'dashboard_bootstrap_claim'; bootstrap: DashboardBootstrapRecord }
  | { op: 'dashboard_session_insert'; session: DashboardSessionRecord }
  /** Not a guard: last_seen moves forward only. */
  | { op: 'dashboard_session_touch'; sessionId: string; atMs: number }
  /** Logout: the row goes. Not a guard. */
  | { op: 'dashboard_session_delete'; sessionId: string }
  /** Revokes every live session of the user except `exceptSessionId`. Not a guard. */
  | { op: 'dashboard_sessions_revoke'; tenantId: TenantId; userId: string; exceptSessionId: string | null; atMs: number }
  /** Deletes every session (any tenant) last seen before `idleBeforeMs` or created before `createdBeforeMs`. Not a guard. */
  | { op: 'dashboard_sessions_prune'; idleBeforeMs: number; createdBeforeMs: number }
  /** Insert-if-absent (never replaces): the first writer's value wins; read it back with getDashboardSecret. */
  | { op: 'dashboard_secret_init'; name: string; value: string; atMs: number }

export interface DashboardStore {
  getDashboardUser(tenantId: TenantId, userId: string): Promise<DashboardUserRecord | null>
  findDashboardUserByEmail(tenantId: TenantId, email: string): Promise<DashboardUserRecord | null>
  /** Oldest first. */
  listDashboardUsers(tenantId: TenantId): Promise<DashboardUserRecord[]>
  getDashboardBootstrap(tenantId: TenantId): Promise<DashboardBootstrapRecord | null>
  /** Never cached: a revocation by any replica is seen by the next read. */
  findDashboardSessionByHash(tokenHash: string): Promise<DashboardSessionRecord | null>
  /** Live (unrevoked) sessions of a user, newest first. */
  listDashboardSessions(tenantId: TenantId, userId: string): Promise<DashboardSessionRecord[]>
  getDashboardSecret(name: string): Promise<string | null>
}
