// Report ledger rows keep the client's wire format like drift's: every `ledgix.report` row (a report
// made ready, a report-settings change) served by GET /ledger validates against the client's own
// LedgerEntry model (client-schemas.json), keeps camelCase-only tool_args, and the ledger verifies.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import { call, startHarness } from '../vault/helpers.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { generate } from './reports.support.ts'

test('ledgix.report rows (settings change, report ready) parse as the client LedgerEntry', { skip: skipWithoutVectors }, async (t) => {
  const h = await startHarness(t)
  const from = Date.now() - 1000
  assert.equal((await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { sample_size: 2 } })).status, 200)
  const r = await generate(h, from)
  const entries = (await call(h.base, 'GET', '/ledger?limit=100&view=full', { key: h.keys.admin })).body.entries as Array<Record<string, unknown>>
  const rows = entries.filter((e) => e.tool_name === 'ledgix.report')
  assert.deepEqual(rows.map((e) => e.event_type ?? (e.tool_args as Record<string, unknown>).eventType), ['report.settings_changed', 'report.generated'])
  const schemas = loadVector<{ schemas: Record<string, object> }>('client-schemas.json').schemas
  const validate = new Ajv({ strict: false }).compile(schemas.LedgerEntry!)
  for (const e of rows) {
    assert.ok(validate(e), `${String(e.request_id)}: ${JSON.stringify(validate.errors)}`)
    for (const k of Object.keys(e.tool_args as object)) assert.doesNotMatch(k, /_[a-z0-9]/, `tool_args.${k} is camelCase`)
  }
  assert.equal((rows[1]!.tool_args as Record<string, unknown>).jsonSha256, r.json_sha256)
  const verified = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.admin })
  assert.equal(verified.body.intact, true, verified.text)
})
