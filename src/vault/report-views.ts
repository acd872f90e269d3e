// Wire shapes of reports shared by the tenant routes and the public shared-link routes: the report
// record, share rows, and sending an artifact with its digest headers.
import type { FastifyReply } from 'fastify'
import type { ReportArtifactRecord, ReportFormat, ReportRecord, ReportShareRecord } from '../store/index.ts'

export const ARTIFACT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** The record; `hrefBase` is where its artifacts are fetched (tenant path or shared-link path). */
export function reportView(r: ReportRecord, hrefBase: string): Record<string, unknown> {
  const summary = r.summaryJson === null ? {} : (JSON.parse(r.summaryJson) as Record<string, unknown>)
  const artifacts = Array.isArray(summary.artifacts) ? (summary.artifacts as Array<Record<string, unknown>>) : []
  return {
    report_id: r.reportId,
    status: r.status,
    title: r.title,
    period_from: iso(r.periodFromMs),
    period_to: iso(r.periodToMs),
    formats: r.formats,
    requested_by: r.requestedBy,
    created_at: iso(r.createdAtMs),
    updated_at: iso(r.updatedAtMs),
    error: r.error,
    json_sha256: r.jsonSha256,
    sample_seed: summary.sample_seed ?? null,
    anchor: summary.anchor ?? null,
    integrity_intact: summary.integrity_intact ?? null,
    counts: summary.counts ?? null,
    controls: summary.controls ?? [],
    exceptions: summary.exceptions ?? 0,
    artifacts: artifacts.map((a) => ({ ...a, href: `${hrefBase}/artifacts/${String(a.format)}` })),
  }
}

export function shareView(s: ReportShareRecord): Record<string, unknown> {
  return {
    share_id: s.shareId,
    created_at: iso(s.createdAtMs),
    created_by: s.createdBy,
    expires_at: iso(s.expiresAtMs),
    revoked_at: iso(s.revokedAtMs),
    revoked_by: s.revokedBy,
    recipient_label: s.recipientLabel,
    views: s.viewCount,
  }
}

/** Artifacts are immutable and content addressed: ETag and Repr-Digest (RFC 9530) are their SHA-256. */
export function sendArtifact(reply: FastifyReply, reportId: string, a: ReportArtifactRecord): FastifyReply {
  const digest = Buffer.from(a.sha256, 'hex').toString('base64')
  return reply
    .header('content-type', ARTIFACT_TYPES[a.format])
    .header('content-disposition', `attachment; filename="${reportId}.${a.format}"`)
    .header('etag', `"sha256:${a.sha256}"`)
    .header('repr-digest', `sha-256=:${digest}:`)
    .header('x-content-type-options', 'nosniff')
    .send(Buffer.from(a.bytes))
}
