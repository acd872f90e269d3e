// Compliance report endpoints (Vault API reference, "Compliance reports"): settings, generation in the
// background (202 queued → running → ready | failed), the record, artifacts, and share links
// (POST to mint, DELETE to revoke — an extension the seed does not list). Reading is open to every
// role of the tenant except agents (a report lists keys and reviewers); changing settings and minting
// or revoking a share link — which hands the report outside the tenant — need an admin key.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { uuidv7 } from '../../core/index.ts'
import { mergeReportSettings, mintShareToken, parseFormats, parseReportSettings, settingsChangedEvent, stampSchedule } from '../../reports/index.ts'
import type { ReportFormat, ReportRecord } from '../../store/index.ts'
import type { AuthContext, VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { idempotencyOp } from '../idempotency.ts'
import type { IdempotencyGate, IdempotencyStamp } from '../idempotency.ts'
import { reportView, sendArtifact, shareView } from '../report-views.ts'
import { stampFor } from './clearance.ts'

type Body = Record<string, unknown>

const DAY_MS = 86_400_000
/** A year and a day: an annual report fits, a decade-long scan does not. */
const MAX_PERIOD_MS = 366 * DAY_MS
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/
const REPORT_ID = /^rpt_[0-9a-f-]{36}$/
const SHARE_ID = /^shr_[0-9a-f-]{36}$/
const SEED = /^[A-Za-z0-9_-]{1,64}$/
const CURSOR = /^(\d{1,15}):(rpt_[0-9a-f-]{36})$/
const POST_FIELDS = new Set(['period_from', 'period_to', 'title', 'formats', 'sample_seed'])
const SHARE_FIELDS = new Set(['expires_in_days', 'recipient_label'])

const who = (auth: AuthContext): string => `${auth.role}:${auth.keyName}`

function readerProblem(reply: FastifyReply, auth: AuthContext): FastifyReply | null {
  return auth.role === 'agent' ? sendProblem(reply, 'forbidden', 'compliance reports need a reviewer- or admin-role API key (they list keys and reviewers)') : null
}

function timeOf(v: unknown, path: string): number | string {
  if (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v))) return `${path}: expected an RFC 3339 date-time with a time zone, like "2026-10-01T00:00:00Z"`
  return Date.parse(v)
}

/** The previous calendar month in UTC: the period when the body names none. */
function previousMonth(nowMs: number): [number, number] {
  const d = new Date(nowMs)
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)]
}

interface ReportAsk { fromMs: number; toMs: number; title: string; formats: ReportFormat[] | null; seed: string | null }

function parseAsk(body: unknown, nowMs: number): ReportAsk | string {
  const b = (body ?? {}) as Body
  if (typeof b !== 'object' || Array.isArray(b)) return 'body: expected a JSON object'
  for (const k of Object.keys(b)) if (!POST_FIELDS.has(k)) return `${k}: unknown field (expected ${[...POST_FIELDS].join(', ')})`
  let fromMs: number
  let toMs: number
  if (b.period_from === undefined && b.period_to === undefined) [fromMs, toMs] = previousMonth(nowMs)
  else {
    const f = timeOf(b.period_from, 'period_from')
    if (typeof f === 'string') return f
    const t = timeOf(b.period_to, 'period_to')
    if (typeof t === 'string') return t
    ;[fromMs, toMs] = [f, t]
  }
  if (fromMs >= toMs) return 'period_to: must be after period_from'
  if (toMs > nowMs) return 'period_to: must not be in the future (a report covers what the ledger already holds)'
  if (toMs - fromMs > MAX_PERIOD_MS) return 'period: at most 366 days per report'
  if (b.title !== undefined && (typeof b.title !== 'string' || b.title.trim() === '' || b.title.length > 200)) return 'title: expected 1-200 characters'
  const formats = b.formats === undefined ? null : parseFormats(b.formats, 'formats')
  if (typeof formats === 'string') return formats
  if (b.sample_seed !== undefined && (typeof b.sample_seed !== 'string' || !SEED.test(b.sample_seed))) return 'sample_seed: expected 1-64 characters of A-Z a-z 0-9 _ -'
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
  const title = typeof b.title === 'string' ? b.title.trim() : `Automated controls report ${day(fromMs)} → ${day(toMs)}`
  return { fromMs, toMs, title, formats, seed: (b.sample_seed as string | undefined) ?? null }
}

async function reportOf(ctx: VaultContext, request: FastifyRequest, reply: FastifyReply): Promise<ReportRecord | null> {
  const { report_id: id } = request.params as { report_id: string }
  const r = REPORT_ID.test(id) ? await ctx.store.getReport(request.auth!.tenantId, id) : null
  if (r === null) sendProblem(reply, 'not_found', 'no report with this id in your tenant')
  return r
}

/** The Idempotency-Key route name of POST /reports (the table is shared with the other POSTs). */
const POST_REPORTS_ROUTE = '/reports'

export function registerReportRoutes(app: FastifyInstance, ctx: VaultContext, gate: IdempotencyGate): void {
  const { store } = ctx

  app.get('/report-settings', async (request, reply) => readerProblem(reply, request.auth!) ?? parseReportSettings(await store.getSettings(request.auth!.tenantId, 'report')))
  app.put('/report-settings', async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'changing report settings needs an admin-role API key')
    const previous = parseReportSettings(await store.getSettings(auth.tenantId, 'report'))
    const merged = mergeReportSettings(previous, request.body ?? null)
    if (typeof merged === 'string') return sendProblem(reply, 'invalid_request', merged)
    const nowMs = ctx.clock.now()
    const next = stampSchedule(previous, merged, nowMs)
    // The parameters of the next report are evidence: the change is ledgered with the settings write.
    const put = { op: 'settings_put' as const, tenantId: auth.tenantId, kind: 'report' as const, valueJson: JSON.stringify(next), atMs: nowMs }
    const result = await ctx.ledger.append(settingsChangedEvent(auth.tenantId, who(auth), previous, next, nowMs), [put])
    if (!result.ok) throw new Error(`report settings write refused at ${result.opName}`)
    return next
  })

  app.get('/reports', async (request, reply) => {
    const auth = request.auth!
    const denied = readerProblem(reply, auth)
    if (denied !== null) return denied
    const q = request.query as Record<string, string | undefined>
    const limit = q.limit === undefined ? 20 : /^\d{1,3}$/.test(q.limit) ? Number(q.limit) : 0
    if (limit < 1 || limit > 100) return sendProblem(reply, 'invalid_request', 'query.limit: expected an integer from 1 to 100')
    const m = q.cursor === undefined ? null : CURSOR.exec(q.cursor)
    if (q.cursor !== undefined && m === null) return sendProblem(reply, 'invalid_request', 'query.cursor: not a cursor from this API')
    const rows = await store.listReports(auth.tenantId, m === null ? null : { createdAtMs: Number(m[1]), reportId: m[2]! }, limit)
    const last = rows[rows.length - 1]
    return { reports: rows.map((r) => reportView(r, `/reports/${r.reportId}`)), next_cursor: rows.length === limit && last !== undefined ? `${last.createdAtMs}:${last.reportId}` : null }
  })

  app.post('/reports', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const auth = request.auth!
    const denied = readerProblem(reply, auth)
    if (denied !== null) return denied
    const stamp = stampFor(request, POST_REPORTS_ROUTE)
    if (typeof stamp === 'string') return sendProblem(reply, 'invalid_request', stamp)
    const run = async (s: IdempotencyStamp | null): Promise<unknown> => {
      const nowMs = ctx.clock.now()
      const ask = parseAsk(request.body, nowMs)
      if (typeof ask === 'string') return sendProblem(reply, 'invalid_request', ask)
      const settings = parseReportSettings(await store.getSettings(auth.tenantId, 'report'))
      const reportId = `rpt_${uuidv7(nowMs)}`
      const record: ReportRecord = {
        tenantId: auth.tenantId, reportId, status: 'queued', periodFromMs: ask.fromMs, periodToMs: ask.toMs, title: ask.title,
        formats: ask.formats ?? settings.formats, requestedBy: who(auth), createdAtMs: nowMs, updatedAtMs: nowMs, error: null, jsonSha256: null,
        // Until ready, the summary holds only the requested sample seed (null = derived from the id).
        summaryJson: ask.seed === null ? null : JSON.stringify({ sample_seed: ask.seed }),
      }
      const view = reportView(record, `/reports/${reportId}`)
      // The key's record commits with the queued row: a crash keeps both or neither.
      const outcome = await ctx.reports.enqueueWith(record, s === null ? [] : [idempotencyOp(s, reportId, 202, view, nowMs)])
      if (outcome === 'full') return sendProblem(reply, 'overloaded', 'too many reports are waiting to be generated; retry shortly', 30)
      if (outcome === 'refused') {
        // Another replica (or a process before a restart) stored this key between our check and write.
        const again = s === null ? null : await gate.check(s)
        if (again?.kind === 'replay') return replayReport(again.record.requestId)
        if (again?.kind === 'conflict') return sendProblem(reply, 'idempotency_conflict', 'this Idempotency-Key was used with a different body')
        throw new Error(`report ${reportId}: the queued row was refused`)
      }
      return reply.code(202).header('location', `/reports/${reportId}`).send(view)
    }
    /** The report the key created first, as it stands now (its status may have moved on). */
    const replayReport = async (reportId: string | null): Promise<unknown> => {
      const r = reportId === null ? null : await store.getReport(auth.tenantId, reportId)
      if (r === null) return sendProblem(reply, 'internal_error', 'stored idempotent response is missing its report')
      return reply.code(202).header('location', `/reports/${r.reportId}`).header('idempotent-replayed', 'true').send(reportView(r, `/reports/${r.reportId}`))
    }
    if (stamp === null) return run(null)
    return gate.exclusive(stamp, async (check) => {
      if (check.kind === 'conflict') return sendProblem(reply, 'idempotency_conflict', 'this Idempotency-Key was used with a different body')
      if (check.kind === 'replay') return replayReport(check.record.requestId)
      return run(stamp)
    })
  })

  app.get('/reports/:report_id', async (request, reply) => {
    const denied = readerProblem(reply, request.auth!)
    if (denied !== null) return denied
    const r = await reportOf(ctx, request, reply)
    if (r === null) return reply
    const shares = await store.listReportShares(r.tenantId, r.reportId)
    return { ...reportView(r, `/reports/${r.reportId}`), shares: shares.map(shareView) }
  })

  app.get('/reports/:report_id/artifacts/:format', async (request, reply) => {
    const denied = readerProblem(reply, request.auth!)
    if (denied !== null) return denied
    const r = await reportOf(ctx, request, reply)
    if (r === null) return reply
    if (r.status !== 'ready') return sendProblem(reply, 'report_not_ready', `report is ${r.status}; poll GET /reports/${r.reportId} until status is "ready"`, 2)
    const { format } = request.params as { format: string }
    const artifact = (r.formats as string[]).includes(format) ? await store.getReportArtifact(r.tenantId, r.reportId, format as ReportFormat) : null
    if (artifact === null) return sendProblem(reply, 'not_found', `this report has no "${format}" artifact (it has ${r.formats.join(', ')})`)
    return sendArtifact(reply.header('cache-control', 'private, no-store'), r.reportId, artifact)
  })

  app.post('/reports/:report_id/share', { config: { allowEmptyBody: true } }, async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'sharing a report outside the tenant needs an admin-role API key')
    const r = await reportOf(ctx, request, reply)
    if (r === null) return reply
    if (r.status !== 'ready') return sendProblem(reply, 'report_not_ready', `report is ${r.status}; only a ready report can be shared`, 2)
    const b = (request.body ?? {}) as Body
    if (typeof b !== 'object' || Array.isArray(b)) return sendProblem(reply, 'invalid_request', 'body: expected a JSON object')
    for (const k of Object.keys(b)) if (!SHARE_FIELDS.has(k)) return sendProblem(reply, 'invalid_request', `${k}: unknown field (expected expires_in_days, recipient_label)`)
    const settings = parseReportSettings(await store.getSettings(auth.tenantId, 'report'))
    const days = b.expires_in_days ?? settings.share.default_ttl_days
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > settings.share.max_ttl_days) {
      return sendProblem(reply, 'invalid_request', `expires_in_days: expected an integer from 1 to ${settings.share.max_ttl_days}`)
    }
    const label = b.recipient_label ?? ''
    if (typeof label !== 'string' || label.length > 200) return sendProblem(reply, 'invalid_request', 'recipient_label: expected at most 200 characters')
    const nowMs = ctx.clock.now()
    const { token, tokenHash } = mintShareToken()
    const share = { shareId: `shr_${uuidv7(nowMs)}`, tenantId: r.tenantId, reportId: r.reportId, tokenHash, createdAtMs: nowMs, createdBy: who(auth), expiresAtMs: nowMs + days * DAY_MS, revokedAtMs: null, revokedBy: null, viewCount: 0, recipientLabel: label }
    const result = await store.write([{ op: 'report_share_insert', share }])
    if (!result.ok) throw new Error('share insert refused')
    // The token is shown once: only its hash is stored.
    return reply.code(201).header('cache-control', 'no-store').send({ token, url: `/reports/shared/${token}`, ...shareView(share) })
  })

  app.delete('/reports/:report_id/share/:share_id', async (request, reply) => {
    const auth = request.auth!
    if (auth.role !== 'admin') return sendProblem(reply, 'forbidden', 'revoking a share link needs an admin-role API key')
    const r = await reportOf(ctx, request, reply)
    if (r === null) return reply
    const { share_id: shareId } = request.params as { share_id: string }
    const nowMs = ctx.clock.now()
    const result = SHARE_ID.test(shareId) ? await store.write([{ op: 'report_share_revoke', tenantId: r.tenantId, reportId: r.reportId, shareId, atMs: nowMs, by: who(auth) }]) : { ok: false }
    if (!result.ok) return sendProblem(reply, 'not_found', 'no active share link with this id on this report')
    const share = (await store.listReportShares(r.tenantId, r.reportId)).find((s) => s.shareId === shareId)
    return share === undefined ? { share_id: shareId, revoked_at: new Date(nowMs).toISOString() } : shareView(share)
  })
}
