// PostgreSQL statements for compliance reports: the SQLite driver's ops with the same guards
// (a status update only from the expected status, a revocation only of a live share) and the same
// row mapping (../sqlite/report-ops.ts), on the batch's client or the reader pool.
import type { PoolClient } from 'pg'
import type { TenantId } from '../../core/index.ts'
import type { ReportArtifactRecord, ReportFormat, ReportRecord, ReportShareRecord, ReportWriteOp } from '../report-types.ts'
import { toReport, toShare } from '../sqlite/report-ops.ts'
import type { PgQueryable } from './pool.ts'

type Row = Record<string, unknown>

const SQL = {
  insert: `INSERT INTO reports (tenant_id, report_id, status, period_from, period_to, title, formats, requested_by, created_at, updated_at, error, json_sha256, summary)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  update: `UPDATE reports SET status = $1, period_from = $2, period_to = $3, title = $4, formats = $5, requested_by = $6, created_at = $7, updated_at = $8,
       error = $9, json_sha256 = $10, summary = $11 WHERE tenant_id = $12 AND report_id = $13 AND status = $14`,
  artifact: 'INSERT INTO report_artifacts (tenant_id, report_id, format, sha256, bytes) VALUES ($1, $2, $3, $4, $5)',
  share: `INSERT INTO report_shares (share_id, tenant_id, report_id, token_hash, created_at, created_by, expires_at, revoked_at, revoked_by, view_count, recipient_label)
     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, 0, $8)`,
  revoke: 'UPDATE report_shares SET revoked_at = $1, revoked_by = $2 WHERE share_id = $3 AND tenant_id = $4 AND report_id = $5 AND revoked_at IS NULL',
  view: 'INSERT INTO report_share_views (share_id, at, target, ip_prefix) VALUES ($1, $2, $3, $4)',
  viewCount: 'UPDATE report_shares SET view_count = view_count + 1 WHERE share_id = $1',
  get: 'SELECT * FROM reports WHERE tenant_id = $1 AND report_id = $2',
  list: `SELECT * FROM reports WHERE tenant_id = $1 AND (created_at < $2 OR (created_at = $2 AND report_id < $3))
     ORDER BY created_at DESC, report_id DESC LIMIT $4`,
  unfinished: "SELECT * FROM reports WHERE status IN ('queued', 'running') ORDER BY created_at, report_id LIMIT $1",
  artifactGet: 'SELECT * FROM report_artifacts WHERE tenant_id = $1 AND report_id = $2 AND format = $3',
  shareByHash: 'SELECT * FROM report_shares WHERE token_hash = $1',
  shares: 'SELECT * FROM report_shares WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, share_id',
} as const

function reportParams(r: ReportRecord): unknown[] {
  return [r.status, r.periodFromMs, r.periodToMs, r.title, JSON.stringify(r.formats), r.requestedBy, r.createdAtMs, r.updatedAtMs, r.error, r.jsonSha256, r.summaryJson]
}

export async function applyPgReportOp(c: PoolClient, op: ReportWriteOp): Promise<boolean> {
  switch (op.op) {
    case 'report_insert':
      await c.query(SQL.insert, [op.report.tenantId, op.report.reportId, ...reportParams(op.report)])
      return true
    case 'report_update': {
      const r = op.report
      return (await c.query(SQL.update, [...reportParams(r), r.tenantId, r.reportId, op.expectStatus])).rowCount === 1
    }
    case 'report_artifact_insert': {
      const a = op.artifact
      await c.query(SQL.artifact, [a.tenantId, a.reportId, a.format, a.sha256, Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength)])
      return true
    }
    case 'report_share_insert': {
      const x = op.share
      await c.query(SQL.share, [x.shareId, x.tenantId, x.reportId, x.tokenHash, x.createdAtMs, x.createdBy, x.expiresAtMs, x.recipientLabel])
      return true
    }
    case 'report_share_revoke':
      return (await c.query(SQL.revoke, [op.atMs, op.by, op.shareId, op.tenantId, op.reportId])).rowCount === 1
    case 'report_share_view': {
      const v = op.view
      await c.query(SQL.view, [v.shareId, v.atMs, v.target, v.ipPrefix])
      return (await c.query(SQL.viewCount, [v.shareId])).rowCount === 1
    }
    default: {
      const never: never = op
      throw new Error(`unknown report op ${JSON.stringify(never)}`)
    }
  }
}

export class PgReportReads {
  readonly #pool: PgQueryable
  constructor(pool: PgQueryable) {
    this.#pool = pool
  }
  async getReport(tenantId: TenantId, reportId: string): Promise<ReportRecord | null> {
    const r = await this.#pool.query<Row>(SQL.get, [tenantId, reportId])
    return r.rows.length === 0 ? null : toReport(r.rows[0]!)
  }
  async listReports(tenantId: TenantId, before: { createdAtMs: number; reportId: string } | null, limit: number): Promise<ReportRecord[]> {
    const at = before?.createdAtMs ?? Number.MAX_SAFE_INTEGER
    return (await this.#pool.query<Row>(SQL.list, [tenantId, at, before?.reportId ?? '', limit])).rows.map(toReport)
  }
  async listUnfinishedReports(limit: number): Promise<ReportRecord[]> {
    return (await this.#pool.query<Row>(SQL.unfinished, [limit])).rows.map(toReport)
  }
  async getReportArtifact(tenantId: TenantId, reportId: string, format: ReportFormat): Promise<ReportArtifactRecord | null> {
    const r = await this.#pool.query<Row>(SQL.artifactGet, [tenantId, reportId, format])
    if (r.rows.length === 0) return null
    const row = r.rows[0]!
    return { tenantId, reportId, format, sha256: row.sha256 as string, bytes: new Uint8Array(row.bytes as Buffer) }
  }
  async findReportShareByHash(tokenHash: string): Promise<ReportShareRecord | null> {
    const r = await this.#pool.query<Row>(SQL.shareByHash, [tokenHash])
    return r.rows.length === 0 ? null : toShare(r.rows[0]!)
  }
  async listReportShares(tenantId: TenantId, reportId: string): Promise<ReportShareRecord[]> {
    return (await this.#pool.query<Row>(SQL.shares, [tenantId, reportId])).rows.map(toShare)
  }
}
