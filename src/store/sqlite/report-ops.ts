// SQLite statements for compliance reports: record insert and guarded status update, immutable
// artifacts, share rows (token hash only), revocation and the view log; and the reads.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type { ReportArtifactRecord, ReportFormat, ReportRecord, ReportShareRecord, ReportStatus, ReportWriteOp } from '../report-types.ts'

function reportParams(r: ReportRecord): unknown[] {
  return [r.status, r.periodFromMs, r.periodToMs, r.title, JSON.stringify(r.formats), r.requestedBy, r.createdAtMs, r.updatedAtMs, r.error, r.jsonSha256, r.summaryJson]
}

export function createReportApplier(db: Database.Database): (op: ReportWriteOp) => boolean {
  const s = {
    insert: db.prepare(
      `INSERT INTO reports (tenant_id, report_id, status, period_from, period_to, title, formats, requested_by, created_at, updated_at, error, json_sha256, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    update: db.prepare(
      `UPDATE reports SET status = ?, period_from = ?, period_to = ?, title = ?, formats = ?, requested_by = ?, created_at = ?, updated_at = ?,
         error = ?, json_sha256 = ?, summary = ? WHERE tenant_id = ? AND report_id = ? AND status = ?`,
    ),
    artifact: db.prepare('INSERT INTO report_artifacts (tenant_id, report_id, format, sha256, bytes) VALUES (?, ?, ?, ?, ?)'),
    share: db.prepare(
      `INSERT INTO report_shares (share_id, tenant_id, report_id, token_hash, created_at, created_by, expires_at, revoked_at, revoked_by, view_count, recipient_label)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?)`,
    ),
    revoke: db.prepare(
      'UPDATE report_shares SET revoked_at = ?, revoked_by = ? WHERE share_id = ? AND tenant_id = ? AND report_id = ? AND revoked_at IS NULL',
    ),
    view: db.prepare('INSERT INTO report_share_views (share_id, at, target, ip_prefix) VALUES (?, ?, ?, ?)'),
    viewCount: db.prepare('UPDATE report_shares SET view_count = view_count + 1 WHERE share_id = ?'),
  }
  return function applyReportOp(op: ReportWriteOp): boolean {
    switch (op.op) {
      case 'report_insert': {
        const r = op.report
        s.insert.run(r.tenantId, r.reportId, ...reportParams(r))
        return true
      }
      case 'report_update': {
        const r = op.report
        return s.update.run(...reportParams(r), r.tenantId, r.reportId, op.expectStatus).changes === 1
      }
      case 'report_artifact_insert': {
        const a = op.artifact
        s.artifact.run(a.tenantId, a.reportId, a.format, a.sha256, Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength))
        return true
      }
      case 'report_share_insert': {
        const x = op.share
        s.share.run(x.shareId, x.tenantId, x.reportId, x.tokenHash, x.createdAtMs, x.createdBy, x.expiresAtMs, x.recipientLabel)
        return true
      }
      case 'report_share_revoke':
        return s.revoke.run(op.atMs, op.by, op.shareId, op.tenantId, op.reportId).changes === 1
      case 'report_share_view': {
        const v = op.view
        s.view.run(v.shareId, v.atMs, v.target, v.ipPrefix)
        return s.viewCount.run(v.shareId).changes === 1
      }
      default: {
        const never: never = op
        throw new Error(`unknown report op ${JSON.stringify(never)}`)
      }
    }
  }
}

type Row = Record<string, unknown>

export function toReport(r: Row): ReportRecord {
  return {
    tenantId: r.tenant_id as TenantId,
    reportId: r.report_id as string,
    status: r.status as ReportStatus,
    periodFromMs: Number(r.period_from),
    periodToMs: Number(r.period_to),
    title: r.title as string,
    formats: JSON.parse(r.formats as string) as ReportFormat[],
    requestedBy: r.requested_by as string,
    createdAtMs: Number(r.created_at),
    updatedAtMs: Number(r.updated_at),
    error: (r.error as string | null) ?? null,
    jsonSha256: (r.json_sha256 as string | null) ?? null,
    summaryJson: (r.summary as string | null) ?? null,
  }
}

export function toShare(r: Row): ReportShareRecord {
  return {
    shareId: r.share_id as string,
    tenantId: r.tenant_id as TenantId,
    reportId: r.report_id as string,
    tokenHash: r.token_hash as string,
    createdAtMs: Number(r.created_at),
    createdBy: r.created_by as string,
    expiresAtMs: Number(r.expires_at),
    revokedAtMs: r.revoked_at === null ? null : Number(r.revoked_at),
    revokedBy: (r.revoked_by as string | null) ?? null,
    viewCount: Number(r.view_count),
    recipientLabel: r.recipient_label as string,
  }
}

export class SqliteReportReads {
  #get: Database.Statement
  #list: Database.Statement
  #unfinished: Database.Statement
  #artifact: Database.Statement
  #shareByHash: Database.Statement
  #shares: Database.Statement
  constructor(r: Database.Database) {
    this.#get = r.prepare('SELECT * FROM reports WHERE tenant_id = ? AND report_id = ?')
    this.#list = r.prepare(
      `SELECT * FROM reports WHERE tenant_id = ? AND (created_at < ? OR (created_at = ? AND report_id < ?))
       ORDER BY created_at DESC, report_id DESC LIMIT ?`,
    )
    this.#unfinished = r.prepare("SELECT * FROM reports WHERE status IN ('queued', 'running') ORDER BY created_at, report_id LIMIT ?")
    this.#artifact = r.prepare('SELECT * FROM report_artifacts WHERE tenant_id = ? AND report_id = ? AND format = ?')
    this.#shareByHash = r.prepare('SELECT * FROM report_shares WHERE token_hash = ?')
    this.#shares = r.prepare('SELECT * FROM report_shares WHERE tenant_id = ? AND report_id = ? ORDER BY created_at, share_id')
  }
  async getReport(tenantId: TenantId, reportId: string): Promise<ReportRecord | null> {
    const row = this.#get.get(tenantId, reportId) as Row | undefined
    return row === undefined ? null : toReport(row)
  }
  async listReports(tenantId: TenantId, before: { createdAtMs: number; reportId: string } | null, limit: number): Promise<ReportRecord[]> {
    const at = before?.createdAtMs ?? Number.MAX_SAFE_INTEGER
    const id = before?.reportId ?? ''
    return (this.#list.all(tenantId, at, at, id, limit) as Row[]).map(toReport)
  }
  async listUnfinishedReports(limit: number): Promise<ReportRecord[]> {
    return (this.#unfinished.all(limit) as Row[]).map(toReport)
  }
  async getReportArtifact(tenantId: TenantId, reportId: string, format: ReportFormat): Promise<ReportArtifactRecord | null> {
    const row = this.#artifact.get(tenantId, reportId, format) as Row | undefined
    if (row === undefined) return null
    return { tenantId, reportId, format, sha256: row.sha256 as string, bytes: new Uint8Array(row.bytes as Buffer) }
  }
  async findReportShareByHash(tokenHash: string): Promise<ReportShareRecord | null> {
    const row = this.#shareByHash.get(tokenHash) as Row | undefined
    return row === undefined ? null : toShare(row)
  }
  async listReportShares(tenantId: TenantId, reportId: string): Promise<ReportShareRecord[]> {
    return (this.#shares.all(tenantId, reportId) as Row[]).map(toShare)
  }
}
