// The PDF artifact rendered by poppler (pdftoppm, pdftotext, pdfdetach): pages render, every
// character of the text survives (→ ≠ — €: the embedded TTF), a table continued on a new page starts
// with its header row again, the bytes are identical for identical inputs, and the embedded
// report.json is byte-for-byte the JSON artifact. Skips outside CI without poppler; fails in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderPdf } from '../../src/reports/index.ts'
import { canonicalJson } from '../../src/token/index.ts'
import { startHarness } from '../vault/helpers.ts'
import { demoTraffic, generate, popplerMissing, run } from './reports.support.ts'

const skip = popplerMissing()

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-report-pdf-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function pagesText(pdf: string): string[] {
  const r = run('pdftotext', ['-layout', pdf, '-'])
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.toString('utf8').split('\f')
}

/** A document with enough exceptions to run the exceptions table over several pages. */
function syntheticReport(): Record<string, unknown> {
  const exceptions = Array.from({ length: 120 }, (_, i) => ({ id: `exc_${String(i + 1).padStart(3, '0')}`, control: 'VA-AP-05', ledger_seq: i + 1, description: `approval ≠ lock state for agent-${i} → refund of 12,50 € — row ${i}`, severity: 'material', disposition: 'open' }))
  return {
    schema: 'ledgix.compliance_report/v1', report_id: 'rpt_test', tenant_id: 't', title: 'Synthetic report → pagination', organization: 'Acme',
    period: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' }, generated_at: '2026-02-01T00:00:05.000Z', generated_by: 'admin:a', vault: { version: '0.1.0' },
    parameters: {}, ledger_anchor: { checkpoint: null, first_seq: null, last_seq: null, rows: 0 }, integrity: { intact: true },
    population: { counts: {}, reconciliations: [] }, controls: [], exceptions, reviews: { items: [] }, overrides: {}, expiries: [], policies: [],
    changes_since_previous: { previous_report_id: null, changes: [] }, configuration_fingerprint: {}, settings_changes: [], keys: { signing: [], api_keys: [] }, lockdowns: [], sample: { items: [] },
  }
}

test('PDF layout: header row repeated on every page a table continues on, all glyphs render, same input → same bytes', { skip }, async (t) => {
  const dir = tempDir(t)
  const doc = syntheticReport()
  const json = Buffer.from(canonicalJson(doc))
  const a = await renderPdf(doc, json, 'f'.repeat(64))
  const b = await renderPdf(doc, json, 'f'.repeat(64))
  assert.equal(createHash('sha256').update(a).digest('hex'), createHash('sha256').update(b).digest('hex'), 'deterministic bytes')
  const file = join(dir, 'r.pdf')
  writeFileSync(file, a)
  const pages = pagesText(file).filter((p) => p.trim() !== '')
  const withRows = pages.filter((p) => /exc_\d{3}/.test(p))
  assert.ok(withRows.length >= 3, `the exceptions table spans pages (${withRows.length})`)
  for (const p of withRows) assert.match(p, /Id\s+Control\s+Seq\s+Description\s+Severity/, 'each page of the table starts with its header row')
  const all = pages.join('\n')
  for (const glyph of ['→', '≠', '€', '—']) assert.ok(all.includes(glyph), `glyph ${glyph} extracted`)
  assert.ok(all.includes('exc_120'), 'no row lost at a page break')
  assert.match(all, new RegExp(`Page ${pages.length} of ${pages.length}`))
})

test('the demo traffic report opens as a readable PDF whose embedded report.json is the JSON artifact', { skip }, async (t) => {
  const dir = tempDir(t)
  const h = await startHarness(t)
  const demo = await demoTraffic(h)
  const r = await generate(h, demo.startedAtMs)
  const get = async (format: string): Promise<Buffer> => Buffer.from(await (await fetch(`${h.base}/reports/${r.report_id}/artifacts/${format}`, { headers: { 'x-vault-api-key': h.keys.admin } })).arrayBuffer())
  const pdf = await get('pdf')
  const json = await get('json')
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-')
  const file = join(dir, 'report.pdf')
  writeFileSync(file, pdf)
  const png = run('pdftoppm', ['-r', '50', '-png', '-f', '1', '-l', '1', file, join(dir, 'page')])
  assert.equal(png.status, 0, png.stderr)
  const page1 = join(dir, 'page-1.png')
  assert.ok(existsSync(page1) && readFileSync(page1).length > 5000, 'page 1 renders to a non-trivial PNG')
  const info = run('pdfinfo', [file]).stdout.toString()
  assert.ok(Number(/Pages:\s+(\d+)/.exec(info)?.[1]) >= 3, info)
  // Without -layout, a wrapped table cell comes out as consecutive lines: join them to compare.
  const text = run('pdftotext', [file, '-']).stdout.toString('utf8').replace(/\s+/g, ' ')
  for (const needle of [r.report_id, 'SOX 404 — ITGC', '1. Control results', 'VA-AP-05', 'ops@example.com', 'refund-agent', 'INV-7', 'checked → ok', r.json_sha256]) {
    assert.ok(text.includes(needle), `PDF text has ${needle}`)
  }
  const detach = run('pdfdetach', ['-saveall', '-o', dir, file])
  assert.equal(detach.status, 0, detach.stderr)
  assert.deepEqual(readFileSync(join(dir, 'report.json')), json, 'embedded JSON = JSON artifact')
})
