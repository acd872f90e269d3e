// Report generation off the request path: POST /reports writes a `queued` row and enqueues it; one
// worker builds reports one at a time (generation scans the ledger and verifies it in full, so two at
// once would only halve each other's speed), renders the artifacts, and commits them with the
// `ledgix.report` ledger row — the JSON's SHA-256 becomes tamper-evident in the same write that
// makes the report `ready`. The queue is bounded; rows left queued or running by a crash run again
// at the next start.
import type { Clock, TenantId } from '../core/index.ts'
import type { DecisionEvent, ReportFormat, ReportRecord, WriteOp, WriteResult } from '../store/index.ts'
import { canonicalJson } from '../token/index.ts'
import { buildReport } from './builder.ts'
import type { ReportDocument, ReportSources } from './builder.ts'
import { renderCsv } from './csv.ts'
import { reportEvent } from './ledger-rows.ts'
import { renderPdf } from './pdf.ts'
import { sha256Hex } from './sections.ts'
import { parseReportSettings } from './settings.ts'

/** Reports waiting at most (all tenants): beyond it POST /reports answers 503 overloaded. */
export const MAX_QUEUED_REPORTS = 32

export interface ReportServiceOptions {
  sources: ReportSources
  clock: Clock
  /** Appends a ledger row with `alongWith` in one transaction (the Vault's ledger sink). */
  appendLedger: (event: DecisionEvent, alongWith: readonly WriteOp[]) => Promise<WriteResult>
  onError: (err: unknown, reportId: string) => void
  /**
   * Extra ops for the write that makes a report `ready` or `failed` (the Vault's notification outbox
   * rows), committed with the status change so an event is never lost or invented by a crash.
   */
  statusOps?: (report: ReportRecord) => Promise<WriteOp[]>
}

export class ReportService {
  #o: ReportServiceOptions
  #queue: ReportRecord[] = []
  #running: Promise<void> | null = null
  #stopped = false
  #idle: Array<() => void> = []

  constructor(options: ReportServiceOptions) {
    this.#o = options
  }

  get queued(): number {
    return this.#queue.length
  }

  /** Re-run what a previous process left unfinished (running rows go back to queued first). */
  async start(): Promise<void> {
    const store = this.#o.sources.store
    for (const r of await store.listUnfinishedReports(MAX_QUEUED_REPORTS)) {
      if (r.status === 'running') {
        const back = { ...r, status: 'queued' as const, updatedAtMs: this.#o.clock.now() }
        const res = await store.write([{ op: 'report_update', report: back, expectStatus: 'running' }])
        if (res.ok) this.#queue.push(back)
      } else this.#queue.push(r)
    }
    this.#kick()
  }

  /** Stop taking jobs; the report being built finishes (or stays queued for the next start). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#queue.length = 0
    await this.#running
  }

  /** Insert the queued row and schedule it; false when the queue is full (the caller answers 503). */
  async enqueue(record: ReportRecord): Promise<boolean> {
    const outcome = await this.enqueueWith(record, [])
    if (outcome === 'refused') throw new Error(`report ${record.reportId}: the queued row was refused`)
    return outcome === 'queued'
  }

  /**
   * Insert the queued row together with `alongWith` in one write (an Idempotency-Key record, a
   * schedule's claim on its period): `refused` when a guarded op refused it (another request or
   * replica holds the key, the claim), in which case nothing was written and nothing is queued.
   */
  async enqueueWith(record: ReportRecord, alongWith: readonly WriteOp[]): Promise<'queued' | 'full' | 'refused'> {
    if (this.#queue.length >= MAX_QUEUED_REPORTS || this.#stopped) return 'full'
    const res = await this.#o.sources.store.write([{ op: 'report_insert', report: record }, ...alongWith])
    if (!res.ok) return 'refused'
    this.#queue.push(record)
    this.#kick()
    return 'queued'
  }

  /** Resolves when the queue is empty and no report is being built (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#running === null && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #kick(): void {
    if (this.#running !== null || this.#stopped) return
    const next = this.#queue.shift()
    if (next === undefined) {
      for (const resolve of this.#idle.splice(0)) resolve()
      return
    }
    this.#running = this.#run(next)
      .catch((err: unknown) => this.#o.onError(err, next.reportId))
      .finally(() => {
        this.#running = null
        this.#kick()
      })
  }

  async #run(queued: ReportRecord): Promise<void> {
    const store = this.#o.sources.store
    const running: ReportRecord = { ...queued, status: 'running', updatedAtMs: this.#o.clock.now() }
    const claimed = await store.write([{ op: 'report_update', report: running, expectStatus: 'queued' }])
    if (!claimed.ok) return
    try {
      await this.#generate(running)
    } catch (err) {
      this.#o.onError(err, running.reportId)
      // The detail is ours (no SQL, no stack): what failed and what to do.
      const message = err instanceof Error && err.message.startsWith('the period holds') ? err.message : 'report generation failed; see the Vault log for this report id, then POST /reports again'
      const failed: ReportRecord = { ...running, status: 'failed', error: message, updatedAtMs: this.#o.clock.now() }
      await store.write([{ op: 'report_update', report: failed, expectStatus: 'running' }, ...(await this.#statusOps(failed))])
    }
  }

  /** The hook's ops; a failing hook must not leave the report `running`, so for `failed` it yields none. */
  async #statusOps(report: ReportRecord): Promise<WriteOp[]> {
    if (this.#o.statusOps === undefined) return []
    if (report.status !== 'failed') return this.#o.statusOps(report)
    try {
      return await this.#o.statusOps(report)
    } catch (err) {
      this.#o.onError(err, report.reportId)
      return []
    }
  }

  async #previous(tenantId: TenantId, before: ReportRecord): Promise<{ reportId: string; document: Record<string, unknown> } | null> {
    const store = this.#o.sources.store
    for (const r of await store.listReports(tenantId, { createdAtMs: before.createdAtMs, reportId: before.reportId }, 50)) {
      if (r.status !== 'ready') continue
      const json = await store.getReportArtifact(tenantId, r.reportId, 'json')
      if (json !== null) return { reportId: r.reportId, document: JSON.parse(Buffer.from(json.bytes).toString('utf8')) as Record<string, unknown> }
    }
    return null
  }

  async #generate(r: ReportRecord): Promise<void> {
    const { store } = this.#o.sources
    const settings = parseReportSettings(await store.getSettings(r.tenantId, 'report'))
    const summary = JSON.parse(r.summaryJson ?? '{}') as { sample_seed?: string }
    const built = await buildReport(this.#o.sources, {
      tenantId: r.tenantId,
      reportId: r.reportId,
      title: r.title,
      periodFromMs: r.periodFromMs,
      periodToMs: r.periodToMs,
      generatedAtMs: r.createdAtMs,
      requestedBy: r.requestedBy,
      settings,
      sampleSeed: summary.sample_seed ?? sha256Hex(r.reportId).slice(0, 16),
      previous: await this.#previous(r.tenantId, r),
    })
    const json = Buffer.from(canonicalJson(built.document), 'utf8')
    const artifacts = new Map<ReportFormat, Uint8Array>([['json', json]])
    const jsonSha256 = sha256Hex(json)
    if (r.formats.includes('csv')) artifacts.set('csv', renderCsv(built.rows))
    if (r.formats.includes('pdf')) artifacts.set('pdf', await renderPdf(built.document, json, jsonSha256))
    const hashes: Record<string, string> = {}
    const ops: WriteOp[] = []
    for (const [format, bytes] of artifacts) {
      const sha256 = sha256Hex(bytes)
      hashes[format] = sha256
      ops.push({ op: 'report_artifact_insert', artifact: { tenantId: r.tenantId, reportId: r.reportId, format, sha256, bytes } })
    }
    const nowMs = this.#o.clock.now()
    const ready: ReportRecord = { ...r, status: 'ready', jsonSha256, summaryJson: JSON.stringify(summaryOf(built.document, hashes, artifacts)), updatedAtMs: nowMs }
    ops.push({ op: 'report_update', report: ready, expectStatus: 'running' }, ...(await this.#statusOps(ready)))
    const result = await this.#o.appendLedger(reportEvent(r, built.document, hashes, nowMs), ops)
    if (!result.ok) throw new Error(`report ${r.reportId}: the ready write was refused at ${result.opName}`)
  }
}

/** What GET /reports/{id} serves of a ready report without reading the artifact. */
function summaryOf(doc: ReportDocument, hashes: Record<string, string>, artifacts: Map<ReportFormat, Uint8Array>): Record<string, unknown> {
  const controls = Array.isArray(doc.controls) ? (doc.controls as Array<{ id: string; result: string }>) : []
  const anchor = (doc.ledger_anchor ?? {}) as Record<string, unknown>
  const cp = (anchor.checkpoint ?? null) as Record<string, unknown> | null
  return {
    sample_seed: (doc.sample as { seed?: string } | undefined)?.seed,
    anchor: { checkpoint_id: cp?.checkpoint_id ?? null, tree_size: cp?.tree_size ?? null, root_hash: cp?.root_hash ?? null, signer_key_id: cp?.signer_key_id ?? null, first_seq: anchor.first_seq ?? null, last_seq: anchor.last_seq ?? null },
    integrity_intact: (doc.integrity as { intact?: boolean } | undefined)?.intact ?? false,
    counts: (doc.population as { counts?: unknown } | undefined)?.counts ?? null,
    controls: controls.map((c) => ({ id: c.id, result: c.result })),
    exceptions: Array.isArray(doc.exceptions) ? doc.exceptions.length : 0,
    artifacts: [...artifacts].map(([format, bytes]) => ({ format, sha256: hashes[format], bytes: bytes.byteLength })),
  }
}
