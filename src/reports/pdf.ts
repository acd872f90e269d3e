// The PDF artifact (pdfkit, no browser): DejaVu TTF fonts embedded so every character renders (→ ≠ €),
// tables whose header row repeats on each page, the canonical JSON embedded as `report.json`
// (relationship Data), and every date pinned to generated_at so the same inputs give the same bytes.
import { createRequire } from 'node:module'
import type PDFDocument from 'pdfkit'
import { facts, FONT, FONT_BOLD, FONT_MONO, heading, pageFurniture, paragraph, table } from './pdf-layout.ts'

type Doc = InstanceType<typeof PDFDocument>
type Obj = Record<string, unknown>

const require = createRequire(import.meta.url)
/** TTF, not WOFF2: fontkit's subsetter crashes on WOFF2 (design notes C2, verified). */
const FONT_FILES = {
  [FONT]: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  [FONT_BOLD]: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
  [FONT_MONO]: 'dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf',
} as const
/** Listings longer than this are summarised in the PDF; the JSON and CSV artifacts carry every row. */
export const PDF_MAX_LISTED = 500

const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : [])
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {})
/** Table dates to the second ("2026-10-01 14:05:09Z"): full precision stays in the JSON. */
const when = (v: unknown): string => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? `${v.slice(0, 10)} ${v.slice(11, 19)}Z` : str(v))
const str = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v))

function capped(doc: Doc, rows: Obj[], what: string): Obj[] {
  if (rows.length <= PDF_MAX_LISTED) return rows
  paragraph(doc, `${rows.length} ${what}; the first ${PDF_MAX_LISTED} are listed here, every one is in the JSON and CSV artifacts.`)
  return rows.slice(0, PDF_MAX_LISTED)
}

function countsTable(doc: Doc, title: string, counts: Obj): void {
  const rows = Object.entries(counts).sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => [k, str(v)] as const)
  if (rows.length === 0) return paragraph(doc, `${title}: none in the period.`)
  table(doc, [{ header: title, width: 0.7 }, { header: 'Count', width: 0.3 }], rows)
}

function cover(doc: Doc, r: Obj, jsonSha256: string): void {
  const period = obj(r.period)
  const anchor = obj(r.ledger_anchor)
  const cp = obj(anchor.checkpoint)
  const integrity = obj(r.integrity)
  doc.font(FONT_BOLD).fontSize(20).fillColor('#0b2545').text(str(r.title))
  doc.moveDown(0.3)
  doc.font(FONT).fontSize(11).fillColor('#333333').text(`SOX 404 — ITGC & automated application controls · ${str(r.organization)}`)
  doc.moveDown(1)
  facts(doc, [
    ['Report id', str(r.report_id)],
    ['Tenant', str(r.tenant_id)],
    ['Period (UTC)', `${str(period.from)} → ${str(period.to)} (end exclusive)`],
    ['Generated', `${str(r.generated_at)} by ${str(r.generated_by)}`],
    ['Vault version', str(obj(r.vault).version)],
    ['Ledger range', anchor.first_seq === null ? 'no rows in the period' : `seq ${str(anchor.first_seq)} … ${str(anchor.last_seq)} (${str(anchor.rows)} rows)`],
    ['Anchor checkpoint', r.ledger_anchor === null || anchor.checkpoint === null ? 'none (empty ledger)' : `#${str(cp.checkpoint_id)} · tree size ${str(cp.tree_size)} · signed by ${str(cp.signer_key_id)} at ${str(cp.signed_at)}`],
    ['Anchor root hash', str(cp.root_hash)],
    ['Ledger verification', integrity.intact === true ? `intact (${str(integrity.verified_entries)} entries, ${str(integrity.verified_checkpoints)} checkpoints)` : `NOT intact: ${str(integrity.error)}`],
    ['Sample seed', str(obj(r.sample).seed)],
    ['JSON artifact SHA-256', jsonSha256],
  ])
  paragraph(doc, 'The canonical JSON artifact is embedded in this PDF as report.json; its SHA-256 above is recorded in the ledger as a ledgix.report event. Verify offline with: ledgix-gateway report verify report.json --bundle bundle.json --jwks jwks.json')
}

function summary(doc: Doc, r: Obj): void {
  doc.addPage()
  heading(doc, '1. Control results')
  table(
    doc,
    [{ header: 'Control', width: 0.11 }, { header: 'Title', width: 0.47 }, { header: 'Population', width: 0.13 }, { header: 'Exceptions', width: 0.13 }, { header: 'Result', width: 0.16 }],
    arr(r.controls).map((c) => [str(c.id), str(c.title), str(obj(c.population).count), String(arr(c.exceptions).length), str(c.result)]),
  )
  heading(doc, '2. Population and completeness (reconciliations)')
  paragraph(doc, `Query: ledger rows of tenant ${str(r.tenant_id)} with accepted_at in [${str(obj(r.parameters).accepted_at_from)}, ${str(obj(r.parameters).accepted_at_before)}).`)
  const pop = obj(r.population)
  table(doc, [{ header: 'Reconciliation', width: 0.2 }, { header: 'Equation', width: 0.68, mono: true }, { header: 'Adds up', width: 0.12 }], arr(pop.reconciliations).map((x) => [str(x.name), str(x.equation), x.ok === true ? 'yes' : 'NO ≠']))
  countsTable(doc, 'Totals', obj(pop.counts))
  countsTable(doc, 'Decisions by outcome', obj(pop.by_outcome))
  countsTable(doc, 'Decisions by tool', obj(pop.by_tool))
  countsTable(doc, 'Decisions by agent', obj(pop.by_agent))
}

function reviewsAndChanges(doc: Doc, r: Obj): void {
  const reviews = obj(r.reviews)
  heading(doc, '3. Human review')
  paragraph(doc, `${str(reviews.count)} reviews; median time to decision ${str(reviews.median_latency_ms)} ms, p95 ${str(reviews.p95_latency_ms)} ms. Overrides (paused by automation, decided by a human): ${str(obj(r.overrides).count)}. Expired unanswered: ${arr(r.expiries).length}.`)
  const items = capped(doc, arr(reviews.items), 'reviews')
  if (items.length > 0) {
    table(
      doc,
      [{ header: 'Request', width: 0.2, mono: true }, { header: 'Outcome', width: 0.11 }, { header: 'Reviewer', width: 0.19 }, { header: 'Channel', width: 0.09 }, { header: 'Latency', width: 0.1 }, { header: 'Decided at', width: 0.16 }, { header: 'Reason', width: 0.15 }],
      items.map((x) => [str(x.request_id), str(x.outcome), str(x.reviewer), str(x.channel), `${str(x.latency_ms)} ms`, when(x.decided_at), str(x.reason)]),
    )
  }
  heading(doc, '4. Change management')
  const diff = obj(r.changes_since_previous)
  paragraph(doc, diff.previous_report_id === null ? 'No previous report: this report sets the configuration baseline.' : `Compared with report ${str(diff.previous_report_id)}: ${diff.unchanged_since_previous === true ? 'configuration unchanged.' : 'configuration changed (below).'}`)
  const fp = obj(r.configuration_fingerprint)
  paragraph(doc, `Policy set SHA-256: ${str(fp.policy_set_sha256)}`, true)
  const policies = arr(r.policies)
  if (policies.length > 0) table(doc, [{ header: 'Policy', width: 0.22 }, { header: 'Version', width: 0.3, mono: true }, { header: 'Content hash', width: 0.36, mono: true }, { header: 'Source', width: 0.12 }], policies.map((p) => [str(p.policy_id), str(p.version_id), str(p.content_hash), str(p.source)]))
  const changes = arr(diff.changes)
  if (changes.length > 0) table(doc, [{ header: 'Kind', width: 0.14 }, { header: 'Name', width: 0.2 }, { header: 'Change', width: 0.12 }, { header: 'From → to', width: 0.54, mono: true }], changes.map((c) => [str(c.kind), str(c.name), str(c.change), `${str(c.from).slice(0, 24)} → ${str(c.to).slice(0, 24)}`]))
  const settings = arr(r.settings_changes)
  paragraph(doc, `Ledgered settings changes in the period: ${settings.length}.`)
  if (settings.length > 0) table(doc, [{ header: 'Change', width: 0.26 }, { header: 'At', width: 0.22 }, { header: 'Actor', width: 0.32 }, { header: 'Ledger seq', width: 0.2 }], settings.map((s) => [str(s.kind), when(s.at), str(s.actor), str(s.ledger_seq)]))
}

function accessAndOps(doc: Doc, r: Obj): void {
  const keys = obj(r.keys)
  heading(doc, '5. Access and keys')
  table(doc, [{ header: 'Signing key', width: 0.3, mono: true }, { header: 'Active from', width: 0.24 }, { header: 'Retired', width: 0.23 }, { header: 'Revoked', width: 0.23 }], arr(keys.signing).map((k) => [str(k.kid), when(k.active_from), when(k.retired_at), when(k.revoked_at)]))
  table(
    doc,
    [{ header: 'API key', width: 0.14, mono: true }, { header: 'Name', width: 0.16 }, { header: 'Role', width: 0.1 }, { header: 'Created', width: 0.2 }, { header: 'Revoked', width: 0.2 }, { header: 'Last used', width: 0.2 }],
    arr(keys.api_keys).map((k) => [`${str(k.prefix)}…`, str(k.name), str(k.role), when(k.created_at), when(k.revoked_at), when(k.last_used_at)]),
  )
  heading(doc, '6. Drift lockdowns')
  const locks = arr(r.lockdowns)
  if (locks.length === 0) paragraph(doc, 'No lockdown or release in the period.')
  else table(doc, [{ header: 'Event', width: 0.14 }, { header: 'Agent', width: 0.16 }, { header: 'At', width: 0.2 }, { header: 'Actor', width: 0.2 }, { header: 'Reason', width: 0.3 }], locks.map((l) => [str(l.type), str(l.agent_id), when(l.at), str(l.actor), str(l.reason)]))
  heading(doc, '7. Exceptions')
  const exceptions = capped(doc, arr(r.exceptions), 'exceptions')
  if (exceptions.length === 0) paragraph(doc, 'No exception: every control operated over its whole population.')
  else table(doc, [{ header: 'Id', width: 0.09 }, { header: 'Control', width: 0.1 }, { header: 'Seq', width: 0.08 }, { header: 'Description', width: 0.5 }, { header: 'Severity', width: 0.13 }, { header: 'Status', width: 0.1 }], exceptions.map((x) => [str(x.id), str(x.control), str(x.ledger_seq), str(x.description), str(x.severity), str(x.disposition)]))
  const sample = obj(r.sample)
  heading(doc, '8. Sample with inclusion proofs')
  paragraph(doc, `Seed ${str(sample.seed)}; method: ${str(sample.method)}; ${str(sample.size)} of ${str(sample.population)} decisions. Each proof is against the anchor checkpoint's root.`)
  if (arr(sample.items).length > 0) {
    table(
      doc,
      [{ header: 'Seq', width: 0.07 }, { header: 'Request', width: 0.22, mono: true }, { header: 'Tool', width: 0.17 }, { header: 'Decision', width: 0.15 }, { header: 'Leaf hash', width: 0.27, mono: true }, { header: 'Proof', width: 0.12 }],
      arr(sample.items).map((s) => {
        const p = obj(s.inclusion_proof)
        return [str(s.ledger_seq), str(s.request_id), str(s.tool_name), str(s.decision_status), str(s.leaf_hash).slice(0, 32), s.inclusion_proof === null ? 'none' : `leaf ${str(p.leaf_index)}/${str(p.tree_size)}, ${arr(p.path).length} hashes`]
      }),
    )
  }
}

/**
 * Render the report; resolves to the PDF bytes (identical for identical inputs). pdfkit (and fontkit)
 * load on the first PDF, not at Vault start: the cold-start budget (issue 7) pays nothing for reports.
 */
export async function renderPdf(report: Obj, json: Uint8Array, jsonSha256: string): Promise<Uint8Array> {
  const { PDFKit } = await import('./pdfkit-module.ts')
  const at = new Date(str(report.generated_at))
  const doc: Doc = new PDFKit({
    size: 'A4',
    margins: { top: 50, bottom: 50, left: 45, right: 45 },
    bufferPages: true,
    pdfVersion: '1.7',
    lang: 'en',
    info: { Title: str(report.title), Author: 'Ledgix Vault', Subject: `Compliance report ${str(report.report_id)}`, Creator: 'ledgix-gateway', Producer: 'ledgix-gateway', CreationDate: at, ModDate: at },
  })
  const chunks: Buffer[] = []
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    doc.on('error', reject)
  })
  for (const [name, file] of Object.entries(FONT_FILES)) doc.registerFont(name, require.resolve(file))
  doc.font(FONT)
  // relationship 'Data' (PDF/A-3 AFRelationship) is a pdfkit option its type definitions do not list yet.
  const attachment = { name: 'report.json', type: 'application/json', relationship: 'Data', description: 'Canonical JSON of this report', creationDate: at, modifiedDate: at }
  doc.file(Buffer.from(json), attachment)
  cover(doc, report, jsonSha256)
  summary(doc, report)
  reviewsAndChanges(doc, report)
  accessAndOps(doc, report)
  const cp = obj(obj(report.ledger_anchor).checkpoint)
  pageFurniture(doc, str(report.report_id), `anchor #${str(cp.checkpoint_id)} root ${str(cp.root_hash).slice(0, 16)}…`)
  doc.end()
  return done
}
