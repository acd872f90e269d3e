// PostgreSQL statements for the dashboard (store/dashboard-api-types.ts), with the SQLite driver's SQL
// and row mappers: the guarded API-key rotation (READ COMMITTED re-checks the UPDATE's WHERE against
// a concurrent rotation's commit, so exactly one passes) and the dashboard reads.
import type { PoolClient } from 'pg'
import type { TenantId } from '../../core/index.ts'
import type { DashboardApiWriteOp, ReviewQueueStats } from '../dashboard-api-types.ts'
import type { AgentLockRecord, ClearanceRecord, PolicyVersionRecord } from '../types.ts'
import * as rows from '../sqlite/rows.ts'
import type { PgQueryable } from './pool.ts'

type Row = Record<string, unknown>

const SQL = {
  rotateOld: `UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > $1 THEN $1 ELSE expires_at END, replaced_by = $2
     WHERE tenant_id = $3 AND key_id = $4 AND revoked_at IS NULL AND replaced_by IS NULL AND (expires_at IS NULL OR expires_at > $5)`,
  insert:
    'INSERT INTO api_keys (key_id, tenant_id, key_hash, prefix, role, name, created_at, revoked_at, last_used_at, expires_at, replaced_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
  stats: `SELECT COUNT(*)::int AS n, MIN(created_at) AS oldest,
       COALESCE(SUM(CASE WHEN review_expires_at IS NOT NULL AND review_expires_at <= $1 THEN 1 ELSE 0 END), 0)::int AS soon
     FROM clearances WHERE tenant_id = $2 AND status = 'pending_review'`,
  locked: 'SELECT * FROM agent_locks WHERE tenant_id = $1 AND locked = 1 ORDER BY changed_at DESC, agent_id LIMIT $2',
  versions: 'SELECT * FROM policies WHERE tenant_id = $1 ORDER BY created_at DESC, version_id DESC LIMIT $2',
  version: 'SELECT * FROM policies WHERE tenant_id = $1 AND version_id = $2',
  lastApproved: `SELECT * FROM clearances WHERE tenant_id = $1 AND agent_id = $2 AND tool_name = $3 AND status = 'approved' AND kind = 'clearance'
       AND created_at <= $4 AND request_id <> $5
     ORDER BY created_at DESC, request_id DESC LIMIT 1`,
} as const

export async function applyPgDashboardApiOp(c: PoolClient, op: DashboardApiWriteOp): Promise<boolean> {
  const k = op.successor
  if ((await c.query(SQL.rotateOld, [op.expiresAtMs, k.keyId, op.tenantId, op.keyId, op.atMs])).rowCount !== 1) return false
  await c.query(SQL.insert, [k.keyId, k.tenantId, k.keyHash, k.prefix, k.role, k.name, k.createdAtMs, k.revokedAtMs, k.lastUsedAtMs, k.expiresAtMs ?? null, k.replacedByKeyId ?? null])
  return true
}

export class PgDashboardApiReads {
  readonly #pool: PgQueryable
  constructor(pool: PgQueryable) {
    this.#pool = pool
  }
  async #all(text: string, values: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(text, values)).rows
  }
  async reviewQueueStats(tenantId: TenantId, expiringBeforeMs: number): Promise<ReviewQueueStats> {
    const r = (await this.#all(SQL.stats, [expiringBeforeMs, tenantId]))[0] as { n: number; oldest: number | string | null; soon: number }
    return { pending: r.n, oldestCreatedAtMs: r.oldest === null ? null : Number(r.oldest), expiringSoon: r.soon }
  }
  async listLockedAgents(tenantId: TenantId, limit: number): Promise<AgentLockRecord[]> {
    return (await this.#all(SQL.locked, [tenantId, limit])).map(rows.toLock)
  }
  async listPolicyVersions(tenantId: TenantId, limit: number): Promise<PolicyVersionRecord[]> {
    return (await this.#all(SQL.versions, [tenantId, limit])).map(rows.toPolicy)
  }
  async getPolicyVersion(tenantId: TenantId, versionId: string): Promise<PolicyVersionRecord | null> {
    const r = (await this.#all(SQL.version, [tenantId, versionId]))[0]
    return r === undefined ? null : rows.toPolicy(r)
  }
  async getLastApprovedClearance(tenantId: TenantId, agentId: string, toolName: string, atOrBeforeMs: number, excludeRequestId: string): Promise<ClearanceRecord | null> {
    const r = (await this.#all(SQL.lastApproved, [tenantId, agentId, toolName, atOrBeforeMs, excludeRequestId]))[0]
    return r === undefined ? null : rows.toClearance(r)
  }
}
