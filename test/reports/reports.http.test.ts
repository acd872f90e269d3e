// The report endpoints over HTTP with a real Vault and SQLite: settings (validated, admin-only,
// ledgered), POST /reports → 202 queued → ready, the record's shapes, artifacts whose hashes match
// the record and the ledger row, the CSV population reconciling with the ledger, roles and bad input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { canonicalJson } from '../../src/token/index.ts'
import { call, startHarness } from '../vault/helpers.ts'
import { demoTraffic, generate } from './reports.support.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function bytes(base: string, path: string, key: string | null): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const res = await fetch(base + path, { headers: key === null ? {} : { 'x-vault-api-key': key } })
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) }
}

test('report settings: defaults, validated partial PUT by admins only, each change a ledgix.report ledger row', async (t) => {
  const h = await startHarness(t)
  const got = await call(h.base, 'GET', '/report-settings', { key: h.keys.reviewer })
  assert.equal(got.status, 200)
  assert.deepEqual(got.body, { framework: 'sox_404_itgc', organization_name: '', formats: ['json', 'pdf', 'csv'], sample_size: 25, share: { default_ttl_days: 7, max_ttl_days: 90 }, schedule: { period: 'off', channels: [], since: null } })
  assert.equal((await call(h.base, 'GET', '/report-settings', { key: h.keys.agent })).status, 403)
  assert.equal((await call(h.base, 'PUT', '/report-settings', { key: h.keys.reviewer, body: { sample_size: 5 } })).status, 403)
  for (const bad of [{ sample_size: 0 }, { sample_size: 201 }, { formats: ['docx'] }, { share: { max_ttl_days: 91 } }, { share: { default_ttl_days: 30, max_ttl_days: 10 } }, { nope: 1 }, { framework: 'iso' }]) {
    const res = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: bad })
    assert.equal(res.status, 400, JSON.stringify(bad))
    assert.equal(res.body.code, 'invalid_request')
  }
  const put = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { organization_name: 'Acme Payments', sample_size: 3, formats: ['pdf'] } })
  assert.equal(put.status, 200, put.text)
  assert.deepEqual(put.body.formats, ['json', 'pdf'], 'json is always generated: it is the hashed artifact')
  assert.equal((await call(h.base, 'GET', '/report-settings', { key: h.keys.admin })).body.organization_name, 'Acme Payments')
  const rows = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)
  assert.deepEqual(rows.map((r) => [r.toolName, r.eventType, r.agentId]), [['ledgix.report', 'report.settings_changed', 'admin:admin']])
})

test('POST /reports on the demo traffic: 202 queued, then ready with anchor, reconciling counts, controls, artifacts hashed and ledgered', async (t) => {
  const h = await startHarness(t)
  const demo = await demoTraffic(h)
  const r = await generate(h, demo.startedAtMs)
  assert.match(r.report_id, /^rpt_/)
  assert.equal(r.integrity_intact, true)
  assert.equal(r.counts.decisions, 5)
  assert.equal(r.counts.approved, 4)
  assert.equal(r.counts.denied, 1)
  assert.equal(r.counts.tokens_consumed, 1)
  assert.equal(r.counts.reviews, 1)
  assert.equal(r.counts.ledger_rows, r.counts.decisions + r.counts.governance_rows)
  assert.equal(r.controls.length, 13)
  assert.ok(r.controls.every((c: { result: string }) => c.result === 'effective'), JSON.stringify(r.controls))
  assert.equal(r.anchor.first_seq, 1)
  assert.deepEqual(r.artifacts.map((a: { format: string }) => a.format).sort(), ['csv', 'json', 'pdf'])

  const json = await bytes(h.base, `/reports/${r.report_id}/artifacts/json`, h.keys.reviewer)
  assert.equal(json.status, 200)
  assert.equal(json.headers.get('content-type'), 'application/json')
  assert.match(json.headers.get('content-disposition') ?? '', /^attachment; filename="rpt_[^"]+\.json"$/)
  assert.equal(json.headers.get('etag'), `"sha256:${sha(json.body)}"`)
  assert.equal(sha(json.body), r.json_sha256)
  const doc = JSON.parse(Buffer.from(json.body).toString('utf8'))
  assert.equal(canonicalJson(doc), Buffer.from(json.body).toString('utf8'), 'the JSON artifact is canonical')
  assert.equal(doc.schema, 'ledgix.compliance_report/v1')
  assert.ok(doc.population.reconciliations.every((x: { ok: boolean }) => x.ok))
  assert.deepEqual(doc.reviews.items.map((x: { reviewer: string; channel: string; reason: string }) => [x.reviewer, x.channel, x.reason]), [['ops@example.com', 'api', 'Invoice INV-7 checked → ok']])
  assert.deepEqual(doc.lockdowns.map((l: { type: string; actor: string }) => [l.type, l.actor]), [['drift.lockdown', 'admin:admin'], ['drift.release', 'admin:admin']])
  assert.equal(doc.policies[0].policy_id, 'payments-prod')
  assert.match(doc.policies[0].content_hash, /^sha256:[0-9a-f]{64}$/)
  assert.equal(doc.sample.size, 5)
  assert.ok(doc.sample.items.every((s: { inclusion_proof: unknown }) => s.inclusion_proof !== null))

  // The report's hash is in the ledger: one ledgix.report row naming every artifact's hash.
  const row = await h.server.context.store.getLedgerEventByRequest(h.tenantA, r.report_id)
  assert.ok(row !== null)
  assert.equal(row.toolName, 'ledgix.report')
  const args = JSON.parse(row.body!.toolArgsJson)
  assert.equal(args.jsonSha256, r.json_sha256)
  for (const a of r.artifacts) assert.equal(args[`${a.format}Sha256`], a.sha256)

  // The CSV lists the whole population, one line per ledger row of the period.
  const csv = Buffer.from((await bytes(h.base, `/reports/${r.report_id}/artifacts/csv`, h.keys.admin)).body).toString('utf8').trimEnd().split('\r\n')
  assert.equal(csv.length - 1, r.counts.ledger_rows)
  assert.ok(csv[0]!.startsWith('seq,request_id,accepted_at'))

  const listed = await call(h.base, 'GET', '/reports?limit=1', { key: h.keys.reviewer })
  assert.equal(listed.body.reports[0].report_id, r.report_id)
  assert.equal(listed.body.next_cursor, `${Date.parse(r.created_at)}:${r.report_id}`)
  const page2 = await call(h.base, 'GET', `/reports?limit=1&cursor=${listed.body.next_cursor}`, { key: h.keys.reviewer })
  assert.deepEqual(page2.body.reports, [])
  assert.equal((await call(h.base, 'GET', `/reports/${r.report_id}`, { key: h.keys.bAdmin })).status, 404, 'another tenant sees nothing')
  assert.equal((await call(h.base, 'GET', `/reports/${r.report_id}/artifacts/docx`, { key: h.keys.admin })).status, 404)

  // A second report diffs its configuration fingerprint against the first.
  const second = await generate(h, demo.startedAtMs)
  const doc2 = JSON.parse(Buffer.from((await bytes(h.base, `/reports/${second.report_id}/artifacts/json`, h.keys.admin)).body).toString('utf8'))
  assert.equal(doc2.changes_since_previous.previous_report_id, r.report_id)
  assert.equal(doc2.changes_since_previous.unchanged_since_previous, true)
})

test('POST /reports refuses bad periods, unknown fields and agent keys; artifacts of an unfinished report are 409 report_not_ready', async (t) => {
  const h = await startHarness(t)
  const now = Date.now()
  const cases: Array<[unknown, RegExp]> = [
    [{ period_from: '2026-01-01', period_to: '2026-02-01T00:00:00Z' }, /^period_from/],
    [{ period_from: '2026-02-01T00:00:00Z', period_to: '2026-01-01T00:00:00Z' }, /^period_to: must be after/],
    [{ period_from: new Date(now - 1000).toISOString(), period_to: new Date(now + 3_600_000).toISOString() }, /future/],
    [{ period_from: '2020-01-01T00:00:00Z', period_to: '2022-01-01T00:00:00Z' }, /366 days/],
    [{ title: 'x', bogus: true }, /^bogus/],
    [{ formats: ['xml'] }, /^formats/],
    [{ sample_seed: 'has space' }, /^sample_seed/],
  ]
  for (const [body, detail] of cases) {
    const res = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body })
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.match(res.body.detail, detail)
  }
  assert.equal((await call(h.base, 'POST', '/reports', { key: h.keys.agent, body: {} })).status, 403)
  // No body at all: the previous calendar month.
  const noBody = await call(h.base, 'POST', '/reports', { key: h.keys.reviewer })
  assert.equal(noBody.status, 202, noBody.text)
  const d = new Date()
  assert.equal(noBody.body.period_from, new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString())
  await h.server.context.reports.idle()

  const store = h.server.context.store
  const queued = { tenantId: h.tenantA, reportId: 'rpt_00000000-0000-7000-8000-000000000001', status: 'queued' as const, periodFromMs: 0, periodToMs: 1, title: 't', formats: ['json' as const], requestedBy: 'x', createdAtMs: 1, updatedAtMs: 1, error: null, jsonSha256: null, summaryJson: null }
  assert.ok((await store.write([{ op: 'report_insert', report: queued }])).ok)
  const early = await call(h.base, 'GET', `/reports/${queued.reportId}/artifacts/json`, { key: h.keys.admin })
  assert.equal(early.status, 409)
  assert.equal(early.body.code, 'report_not_ready')
  assert.equal((await call(h.base, 'POST', `/reports/${queued.reportId}/share`, { key: h.keys.admin, body: {} })).body.code, 'report_not_ready')
})
