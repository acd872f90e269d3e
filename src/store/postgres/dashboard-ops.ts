// PostgreSQL statements for dashboard users, sessions, the first-admin guard and instance secrets:
// the SQLite driver's ops with the same guards (ON CONFLICT DO NOTHING on the same unique keys, so two
// replicas racing a setup yield one claim) and the same row mapping (../sqlite/dashboard-ops.ts).
import type { PoolClient } from 'pg'
import type { TenantId } from '../../core/index.ts'
import type { DashboardBootstrapRecord, DashboardSessionRecord, DashboardUserRecord, DashboardWriteOp } from '../dashboard-types.ts'
import { toDashboardBootstrap, toDashboardSession, toDashboardUser } from '../sqlite/dashboard-ops.ts'
import type { PgQueryable } from './pool.ts'

type Row = Record<string, unknown>

const SQL = {
  userInsert: `INSERT INTO dashboard_users (user_id, tenant_id, email, role, password_hash, disabled_at, created_at, password_changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
  userUpdate: `UPDATE dashboard_users SET email = $1, role = $2, password_hash = $3, disabled_at = $4, password_changed_at = $5
     WHERE tenant_id = $6 AND user_id = $7`,
  bootstrap: 'INSERT INTO dashboard_bootstrap (tenant_id, user_id, claimed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  sessionInsert: `INSERT INTO dashboard_sessions (session_id, token_hash, tenant_id, user_id, created_at, last_seen_at, ip, user_agent, revoked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  touch: 'UPDATE dashboard_sessions SET last_seen_at = $1 WHERE session_id = $2 AND last_seen_at < $1',
  del: 'DELETE FROM dashboard_sessions WHERE session_id = $1',
  revoke: 'UPDATE dashboard_sessions SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND revoked_at IS NULL AND session_id != $4',
  prune: 'DELETE FROM dashboard_sessions WHERE last_seen_at < $1 OR created_at < $2',
  secret: 'INSERT INTO dashboard_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  user: 'SELECT * FROM dashboard_users WHERE tenant_id = $1 AND user_id = $2',
  byEmail: 'SELECT * FROM dashboard_users WHERE tenant_id = $1 AND email = $2',
  users: 'SELECT * FROM dashboard_users WHERE tenant_id = $1 ORDER BY created_at, user_id',
  bootstrapGet: 'SELECT * FROM dashboard_bootstrap WHERE tenant_id = $1',
  session: 'SELECT * FROM dashboard_sessions WHERE token_hash = $1',
  sessions: 'SELECT * FROM dashboard_sessions WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL ORDER BY created_at DESC, session_id DESC',
  secretGet: 'SELECT value FROM dashboard_secrets WHERE name = $1',
} as const

export async function applyPgDashboardOp(c: PoolClient, op: DashboardWriteOp): Promise<boolean> {
  switch (op.op) {
    case 'dashboard_user_insert': {
      const u = op.user
      return (await c.query(SQL.userInsert, [u.userId, u.tenantId, u.email, u.role, u.passwordHash, u.disabledAtMs, u.createdAtMs, u.passwordChangedAtMs])).rowCount === 1
    }
    case 'dashboard_user_update': {
      const u = op.user
      return (await c.query(SQL.userUpdate, [u.email, u.role, u.passwordHash, u.disabledAtMs, u.passwordChangedAtMs, u.tenantId, u.userId])).rowCount === 1
    }
    case 'dashboard_bootstrap_claim': {
      const b = op.bootstrap
      return (await c.query(SQL.bootstrap, [b.tenantId, b.userId, b.claimedAtMs])).rowCount === 1
    }
    case 'dashboard_session_insert': {
      const x = op.session
      await c.query(SQL.sessionInsert, [x.sessionId, x.tokenHash, x.tenantId, x.userId, x.createdAtMs, x.lastSeenAtMs, x.ip, x.userAgent, x.revokedAtMs])
      return true
    }
    case 'dashboard_session_touch':
      await c.query(SQL.touch, [op.atMs, op.sessionId])
      return true
    case 'dashboard_session_delete':
      await c.query(SQL.del, [op.sessionId])
      return true
    case 'dashboard_sessions_revoke':
      await c.query(SQL.revoke, [op.atMs, op.tenantId, op.userId, op.exceptSessionId ?? ''])
      return true
    case 'dashboard_sessions_prune':
      await c.query(SQL.prune, [op.idleBeforeMs, op.createdBeforeMs])
      return true
    case 'dashboard_secret_init':
      await c.query(SQL.secret, [op.name, op.value, op.atMs])
      return true
    default: {
      const never: never = op
      throw new Error(`unknown dashboard op ${JSON.stringify(never)}`)
    }
  }
}

export class PgDashboardReads {
  readonly #pool: PgQueryable
  constructor(pool: PgQueryable) {
    this.#pool = pool
  }
  async getDashboardUser(tenantId: TenantId, userId: string): Promise<DashboardUserRecord | null> {
    const r = await this.#pool.query<Row>(SQL.user, [tenantId, userId])
    return r.rows.length === 0 ? null : toDashboardUser(r.rows[0]!)
  }
  async findDashboardUserByEmail(tenantId: TenantId, email: string): Promise<DashboardUserRecord | null> {
    const r = await this.#pool.query<Row>(SQL.byEmail, [tenantId, email])
    return r.rows.length === 0 ? null : toDashboardUser(r.rows[0]!)
  }
  async listDashboardUsers(tenantId: TenantId): Promise<DashboardUserRecord[]> {
    return (await this.#pool.query<Row>(SQL.users, [tenantId])).rows.map(toDashboardUser)
  }
  async getDashboardBootstrap(tenantId: TenantId): Promise<DashboardBootstrapRecord | null> {
    const r = await this.#pool.query<Row>(SQL.bootstrapGet, [tenantId])
    return r.rows.length === 0 ? null : toDashboardBootstrap(r.rows[0]!)
  }
  async findDashboardSessionByHash(tokenHash: string): Promise<DashboardSessionRecord | null> {
    const r = await this.#pool.query<Row>(SQL.session, [tokenHash])
    return r.rows.length === 0 ? null : toDashboardSession(r.rows[0]!)
  }
  async listDashboardSessions(tenantId: TenantId, userId: string): Promise<DashboardSessionRecord[]> {
    return (await this.#pool.query<Row>(SQL.sessions, [tenantId, userId])).rows.map(toDashboardSession)
  }
  async getDashboardSecret(name: string): Promise<string | null> {
    const r = await this.#pool.query<{ value: string }>(SQL.secretGet, [name])
    return r.rows.length === 0 ? null : r.rows[0]!.value
  }
}
