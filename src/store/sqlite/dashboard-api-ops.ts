// SQLite statements for the dashboard (store/dashboard-api-types.ts): the guarded API-key rotation and
// the reads behind the overview, the policy versions and the review detail's last approved call.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type { DashboardApiWriteOp, ReviewQueueStats } from '../dashboard-api-types.ts'
import type { AgentLockRecord, ClearanceRecord, PolicyVersionRecord } from '../types.ts'
import * as rows from './rows.ts'

type Row = Record<string, unknown>

/** The rotation's UPDATE: the guard is its WHERE; the expiry only ever moves earlier. */
const ROTATE_OLD_KEY_SQL = `UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > ? THEN ? ELSE expires_at END, replaced_by = ?
   WHERE tenant_id = ? AND key_id = ? AND revoked_at IS NULL AND replaced_by IS NULL AND (expires_at IS NULL OR expires_at > ?)`

export function createDashboardApiApplier(db: Database.Database): (op: DashboardApiWriteOp) => boolean {
  const s = {
    rotateOld: db.prepare(ROTATE_OLD_KEY_SQL),
    insert: db.prepare(
      'INSERT INTO api_keys (key_id, tenant_id, key_hash, prefix, role, name, created_at, revoked_at, last_used_at, expires_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  }
  return function applyDashboardOp(op: DashboardApiWriteOp): boolean {
    const k = op.successor
    if (s.rotateOld.run(op.expiresAtMs, op.expiresAtMs, k.keyId, op.tenantId, op.keyId, op.atMs).changes !== 1) return false
    s.insert.run(k.keyId, k.tenantId, k.keyHash, k.prefix, k.role, k.name, k.createdAtMs, k.revokedAtMs, k.lastUsedAtMs, k.expiresAtMs ?? null, k.replacedByKeyId ?? null)
    return true
  }
}

export class SqliteDashboardApiReads {
  #q: Record<'stats' | 'locked' | 'versions' | 'version' | 'lastApproved', Database.Statement>
  constructor(r: Database.Database) {
    this.#q = {
      stats: r.prepare(
        `SELECT COUNT(*) AS n, MIN(created_at) AS oldest,
           COALESCE(SUM(CASE WHEN review_expires_at IS NOT NULL AND review_expires_at <= ? THEN 1 ELSE 0 END), 0) AS soon
         FROM clearances WHERE tenant_id = ? AND status = 'pending_review'`,
      ),
      locked: r.prepare('SELECT * FROM agent_locks WHERE tenant_id = ? AND locked = 1 ORDER BY changed_at DESC, agent_id LIMIT ?'),
      versions: r.prepare('SELECT * FROM policies WHERE tenant_id = ? ORDER BY created_at DESC, version_id DESC LIMIT ?'),
      version: r.prepare('SELECT * FROM policies WHERE tenant_id = ? AND version_id = ?'),
      lastApproved: r.prepare(
        `SELECT * FROM clearances WHERE tenant_id = ? AND agent_id = ? AND tool_name = ? AND status = 'approved' AND kind = 'clearance'
           AND created_at <= ? AND request_id <> ?
         ORDER BY created_at DESC, request_id DESC LIMIT 1`,
      ),
    }
  }
  async reviewQueueStats(tenantId: TenantId, expiringBeforeMs: number): Promise<ReviewQueueStats> {
    const r = this.#q.stats.get(expiringBeforeMs, tenantId) as { n: number; oldest: number | null; soon: number }
    return { pending: r.n, oldestCreatedAtMs: r.oldest, expiringSoon: r.soon }
  }
  async listLockedAgents(tenantId: TenantId, limit: number): Promise<AgentLockRecord[]> {
    return (this.#q.locked.all(tenantId, limit) as Row[]).map(rows.toLock)
  }
  async listPolicyVersions(tenantId: TenantId, limit: number): Promise<PolicyVersionRecord[]> {
    return (this.#q.versions.all(tenantId, limit) as Row[]).map(rows.toPolicy)
  }
  async getPolicyVersion(tenantId: TenantId, versionId: string): Promise<PolicyVersionRecord | null> {
    const r = this.#q.version.get(tenantId, versionId) as Row | undefined
    return r === undefined ? null : rows.toPolicy(r)
  }
  async getLastApprovedClearance(tenantId: TenantId, agentId: string, toolName: string, atOrBeforeMs: number, excludeRequestId: string): Promise<ClearanceRecord | null> {
    const r = this.#q.lastApproved.get(tenantId, agentId, toolName, atOrBeforeMs, excludeRequestId) as Row | undefined
    return r === undefined ? null : rows.toClearance(r)
  }
}
