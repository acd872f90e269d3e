// Drift ledger rows keep the client's wire format (spec §7.2/§7.6): every `ledgix.drift` row served by
// GET /ledger validates against the client's own LedgerEntry model (client-schemas.json), and its
// tool_args keys survive the client's nested camelCasing, so fetchLedger() re-hashes them unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import { call, startHarness } from '../vault/helpers.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

function camelUnchanged(value: unknown, path: string, bad: string[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => camelUnchanged(v, `${path}[${i}]`, bad))
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (/_[a-z0-9]/.test(k)) bad.push(`${path}.${k}`)
      camelUnchanged(v, `${path}.${k}`, bad)
    }
  }
}

test('ledgix.drift rows (settings change, manual lock, release) parse as the client LedgerEntry', { skip: skipWithoutVectors }, async (t) => {
  const h = await startHarness(t)
  await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: { enabled: true } })
  await call(h.base, 'POST', '/drift/agents/bot-1/lockdown', { key: h.keys.reviewer, body: { reason: 'investigating' } })
  await call(h.base, 'DELETE', '/drift/agents/bot-1/lockdown', { key: h.keys.reviewer, body: { reason: 'cleared' } })
  const schemas = loadVector<{ schemas: Record<string, object> }>('client-schemas.json').schemas
  const validate = new Ajv({ strict: false }).compile(schemas.LedgerEntry!)
  // The default page is redacted (docs/design/ledger-views.md); its drift rows still parse.
  const redacted = (await call(h.base, 'GET', '/ledger?limit=100', { key: h.keys.admin })).body.entries as Array<Record<string, unknown>>
  const redactedDrift = redacted.filter((e) => e.tool_name === 'ledgix.drift')
  assert.equal(redactedDrift.length, 3)
  for (const e of redactedDrift) assert.ok(validate(e), `${String(e.request_id)}: ${JSON.stringify(validate.errors)}`)
  // The auditors' full view: the client would re-hash these rows, so their keys must survive camelCasing.
  const entries = (await call(h.base, 'GET', '/ledger?limit=100&view=full', { key: h.keys.admin })).body.entries as Array<Record<string, unknown>>
  const drift = entries.filter((e) => e.tool_name === 'ledgix.drift')
  assert.equal(drift.length, 3)
  for (const e of drift) {
    assert.ok(validate(e), `${String(e.request_id)}: ${JSON.stringify(validate.errors)}`)
    assert.equal(e.canonical_version, 3)
    assert.notEqual(e.intent_hash, '', 'not a redacted row: the client re-hashes it')
    const bad: string[] = []
    camelUnchanged(e.tool_args, 'tool_args', bad)
    assert.deepEqual(bad, [])
  }
  assert.deepEqual(drift.map((e) => e.decision_status), ['approved', 'denied', 'approved'])
  assert.equal((await call(h.base, 'GET', '/ledger/verify', { key: h.keys.admin })).body.intact, true)
})
