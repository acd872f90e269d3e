// Compliance reports' part of the Store contract: the report record (status and summary), its
// immutable artifacts (bytes addressed by SHA-256), share links stored as token hashes, and their
// view log. Pure shapes: src/reports builds and renders, a driver stores.
import type { TenantId } from '../core/index.ts'

export type ReportStatus = 'queued' | 'running' | 'ready' | 'failed'
export type ReportFormat = 'json' | 'pdf' | 'csv'

export interface ReportRecord {
  tenantId: TenantId
  reportId: string
  status: ReportStatus
  periodFromMs: number
  periodToMs: number
  title: string
  formats: ReportFormat[]
  /** Who asked: `role:key name`. */
  requestedBy: string
  createdAtMs: number
  updatedAtMs: number
  /** Why generation failed (operator-facing); null otherwise. */
  error: string | null
  /** Canonical JSON artifact's SHA-256 (hex) once ready; the ledgered value. */
  jsonSha256: string | null
  /** Summary served in the record (anchor, counts, controls), JSON text; null until ready. */
  summaryJson: string | null
}

export interface ReportArtifactRecord {
  tenantId: TenantId
  reportId: string
  format: ReportFormat
  sha256: string
  bytes: Uint8Array
}

export interface ReportShareRecord {
  shareId: string
  tenantId: TenantId
  reportId: string
  /** sha256(token) hex: the token itself is never stored. */
  tokenHash: string
  createdAtMs: number
  createdBy: string
  expiresAtMs: number
  revokedAtMs: number | null
  revokedBy: string | null
  viewCount: number
  recipientLabel: string
}

export interface ReportShareView {
  shareId: string
  atMs: number
  /** 'record' for the shared record, else the artifact format. */
  target: string
  /** /24 (IPv4) or /48 (IPv6) of the viewer: enough to tell viewers apart, not to locate one. */
  ipPrefix: string
}

/** Report writes (members of the WriteOp union). */
export type ReportWriteOp =
  | { op: 'report_insert'; report: ReportRecord }
  /** guard: the stored status equals expectStatus. */
  | { op: 'report_update'; report: ReportRecord; expectStatus: ReportStatus }
  | { op: 'report_artifact_insert'; artifact: ReportArtifactRecord }
  | { op: 'report_share_insert'; share: ReportShareRecord }
  /** guard: the share exists for this report and is not revoked yet. */
  | { op: 'report_share_revoke'; tenantId: TenantId; reportId: string; shareId: string; atMs: number; by: string }
  | { op: 'report_share_view'; view: ReportShareView }

export interface ReportStore {
  getReport(tenantId: TenantId, reportId: string): Promise<ReportRecord | null>
  /** Newest first; `before` = exclusive (createdAtMs, reportId) cursor. */
  listReports(tenantId: TenantId, before: { createdAtMs: number; reportId: string } | null, limit: number): Promise<ReportRecord[]>
  /** Reports left queued or running (all tenants), oldest first: the worker's recovery at start. */
  listUnfinishedReports(limit: number): Promise<ReportRecord[]>
  getReportArtifact(tenantId: TenantId, reportId: string, format: ReportFormat): Promise<ReportArtifactRecord | null>
  findReportShareByHash(tokenHash: string): Promise<ReportShareRecord | null>
  listReportShares(tenantId: TenantId, reportId: string): Promise<ReportShareRecord[]>
}
