// SQLite statements for dashboard users, sessions, the first-admin guard and instance secrets; and
// their reads. The guards are the database's: a unique (tenant, email) index, the bootstrap primary key.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type { DashboardBootstrapRecord, DashboardRole, DashboardSessionRecord, DashboardUserRecord, DashboardWriteOp } from '../dashboard-types.ts'

type Row = Record<string, unknown>

export function toDashboardUser(r: Row): DashboardUserRecord {
  return {
    userId: r.user_id as string,
    tenantId: r.tenant_id as TenantId,
    email: r.email as string,
    role: r.role as DashboardRole,
    passwordHash: r.password_hash as string,
    disabledAtMs: r.disabled_at === null || r.disabled_at === undefined ? null : Number(r.disabled_at),
    createdAtMs: Number(r.created_at),
    passwordChangedAtMs: Number(r.password_changed_at),
  }
}

export function toDashboardSession(r: Row): DashboardSessionRecord {
  return {
    sessionId: r.session_id as string,
    tokenHash: r.token_hash as string,
    tenantId: r.tenant_id as TenantId,
    userId: r.user_id as string,
    createdAtMs: Number(r.created_at),
    lastSeenAtMs: Number(r.last_seen_at),
    ip: r.ip as string,
    userAgent: r.user_agent as string,
    revokedAtMs: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
  }
}

export function toDashboardBootstrap(r: Row): DashboardBootstrapRecord {
  return { tenantId: r.tenant_id as TenantId, userId: r.user_id as string, claimedAtMs: Number(r.claimed_at) }
}

export function createDashboardApplier(db: Database.Database): (op: DashboardWriteOp) => boolean {
  const s = {
    userInsert: db.prepare(
      `INSERT OR IGNORE INTO dashboard_users (user_id, tenant_id, email, role, password_hash, disabled_at, created_at, password_changed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    userUpdate: db.prepare(
      `UPDATE dashboard_users SET email = ?, role = ?, password_hash = ?, disabled_at = ?, password_changed_at = ?
       WHERE tenant_id = ? AND user_id = ?`,
    ),
    bootstrap: db.prepare('INSERT OR IGNORE INTO dashboard_bootstrap (tenant_id, user_id, claimed_at) VALUES (?, ?, ?)'),
    sessionInsert: db.prepare(
      `INSERT INTO dashboard_sessions (session_id, token_hash, tenant_id, user_id, created_at, last_seen_at, ip, user_agent, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    touch: db.prepare('UPDATE dashboard_sessions SET last_seen_at = ? WHERE session_id = ? AND last_seen_at < ?'),
    del: db.prepare('DELETE FROM dashboard_sessions WHERE session_id = ?'),
    revoke: db.prepare(
      `UPDATE dashboard_sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND session_id != ?`,
    ),
    prune: db.prepare('DELETE FROM dashboard_sessions WHERE last_seen_at < ? OR created_at < ?'),
    secret: db.prepare('INSERT OR IGNORE INTO dashboard_secrets (name, value, created_at) VALUES (?, ?, ?)'),
  }
  return function applyDashboardOp(op: DashboardWriteOp): boolean {
    switch (op.op) {
      case 'dashboard_user_insert': {
        const u = op.user
        return s.userInsert.run(u.userId, u.tenantId, u.email, u.role, u.passwordHash, u.disabledAtMs, u.createdAtMs, u.passwordChangedAtMs).changes === 1
      }
      case 'dashboard_user_update': {
        const u = op.user
        return s.userUpdate.run(u.email, u.role, u.passwordHash, u.disabledAtMs, u.passwordChangedAtMs, u.tenantId, u.userId).changes === 1
      }
      case 'dashboard_bootstrap_claim': {
        const b = op.bootstrap
        return s.bootstrap.run(b.tenantId, b.userId, b.claimedAtMs).changes === 1
      }
      case 'dashboard_session_insert': {
        const x = op.session
        s.sessionInsert.run(x.sessionId, x.tokenHash, x.tenantId, x.userId, x.createdAtMs, x.lastSeenAtMs, x.ip, x.userAgent, x.revokedAtMs)
        return true
      }
      case 'dashboard_session_touch':
        s.touch.run(op.atMs, op.sessionId, op.atMs)
        return true
      case 'dashboard_session_delete':
        s.del.run(op.sessionId)
        return true
      case 'dashboard_sessions_revoke':
        s.revoke.run(op.atMs, op.tenantId, op.userId, op.exceptSessionId ?? '')
        return true
      case 'dashboard_sessions_prune':
        s.prune.run(op.idleBeforeMs, op.createdBeforeMs)
        return true
      case 'dashboard_secret_init':
        s.secret.run(op.name, op.value, op.atMs)
        return true
      default: {
        const never: never = op
        throw new Error(`unknown dashboard op ${JSON.stringify(never)}`)
      }
    }
  }
}

export class SqliteDashboardReads {
  #user: Database.Statement
  #byEmail: Database.Statement
  #users: Database.Statement
  #bootstrap: Database.Statement
  #session: Database.Statement
  #sessions: Database.Statement
  #secret: Database.Statement
  constructor(r: Database.Database) {
    this.#user = r.prepare('SELECT * FROM dashboard_users WHERE tenant_id = ? AND user_id = ?')
    this.#byEmail = r.prepare('SELECT * FROM dashboard_users WHERE tenant_id = ? AND email = ?')
    this.#users = r.prepare('SELECT * FROM dashboard_users WHERE tenant_id = ? ORDER BY created_at, user_id')
    this.#bootstrap = r.prepare('SELECT * FROM dashboard_bootstrap WHERE tenant_id = ?')
    this.#session = r.prepare('SELECT * FROM dashboard_sessions WHERE token_hash = ?')
    this.#sessions = r.prepare(
      'SELECT * FROM dashboard_sessions WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, session_id DESC',
    )
    this.#secret = r.prepare('SELECT value FROM dashboard_secrets WHERE name = ?')
  }
  async getDashboardUser(tenantId: TenantId, userId: string): Promise<DashboardUserRecord | null> {
    const row = this.#user.get(tenantId, userId) as Row | undefined
    return row === undefined ? null : toDashboardUser(row)
  }
  async findDashboardUserByEmail(tenantId: TenantId, email: string): Promise<DashboardUserRecord | null> {
    const row = this.#byEmail.get(tenantId, email) as Row | undefined
    return row === undefined ? null : toDashboardUser(row)
  }
  async listDashboardUsers(tenantId: TenantId): Promise<DashboardUserRecord[]> {
    return (this.#users.all(tenantId) as Row[]).map(toDashboardUser)
  }
  async getDashboardBootstrap(tenantId: TenantId): Promise<DashboardBootstrapRecord | null> {
    const row = this.#bootstrap.get(tenantId) as Row | undefined
    return row === undefined ? null : toDashboardBootstrap(row)
  }
  async findDashboardSessionByHash(tokenHash: string): Promise<DashboardSessionRecord | null> {
    const row = this.#session.get(tokenHash) as Row | undefined
    return row === undefined ? null : toDashboardSession(row)
  }
  async listDashboardSessions(tenantId: TenantId, userId: string): Promise<DashboardSessionRecord[]> {
    return (this.#sessions.all(tenantId, userId) as Row[]).map(toDashboardSession)
  }
  async getDashboardSecret(name: string): Promise<string | null> {
    const row = this.#secret.get(name) as { value: string } | undefined
    return row === undefined ? null : row.value
  }
}
