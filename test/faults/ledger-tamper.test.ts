// Tampering with a stopped instance's SQLite file directly — an argument changed, a row deleted, two
// rows reordered, a stored Merkle node changed, a checkpoint signature changed — is named precisely
// by `ledger verify --data` (exit 1) and by GET /ledger/verify on a server restarted over the file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { openRetainedDatabase } from '../../src/store/index.ts'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'
import type { TenantId } from '../../src/core/index.ts'
import { newApiKey, startVaultServer } from '../../src/vault/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { call, vaultConfig } from '../vault/helpers.ts'
import { FAST_LEDGER } from '../ledger/ledger-harness.ts'

const TENANT = 'tenant-t' as TenantId

async function runCli(...args: string[]): Promise<{ exitCode: number; out: string; err: string }> {
  const program = buildProgram()
  const sink = { out: '', err: '' }
  const capture = (cmd: Command): void => {
    cmd.exitOverride()
    cmd.configureOutput({ writeOut: (s) => void (sink.out += s), writeErr: (s) => void (sink.err += s) })
    for (const sub of cmd.commands) capture(sub)
  }
  capture(program)
  try {
    await program.parseAsync(['node', 'ledgix-gateway', 'ledger', ...args])
    return { exitCode: 0, ...sink }
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    return { exitCode: err.exitCode, ...sink }
  }
}

/** A stopped instance with 20 sealed events in one tenant: sequential appends, full batches of 4 seal at once (no timer), so exactly 5 checkpoints. */
async function buildLedger(t: { after(fn: () => void): void }): Promise<{ dir: string; apiKey: string }> {
  const dir = tempDir(t, 'ledgix-tamper-')
  const server = await startVaultServer({ config: vaultConfig(dir, { ledger: { ...FAST_LEDGER, sealBatchSize: 4, sealIntervalMs: 10_000 } }) })
  const key = newApiKey(TENANT, 'admin', 'admin', 'test', Date.now())
  await server.context.store.write([
    { op: 'tenant_insert', tenant: { tenantId: TENANT, name: 't', createdAtMs: Date.now() } },
    { op: 'api_key_insert', key: key.record },
  ])
  const base = `http://127.0.0.1:${server.port}`
  const policy = { policy_id: 'p', rules: [{ id: 'ok', description: '', when: 'true', effect: 'allow', reason: 'ok' }] }
  assert.equal((await call(base, 'POST', '/register-policy', { key: key.apiKey, body: policy })).status, 200)
  for (let i = 0; i < 20; i++) {
    const res = await call(base, 'POST', '/request-clearance', { key: key.apiKey, body: { tool_name: 'pay', tool_args: { amount: i, memo: `m${i}` } } })
    assert.equal(res.status, 200)
  }
  await server.close() // close() seals what is pending
  return { dir, apiKey: key.apiKey }
}

const TAMPERS: Array<{ name: string; sql: string[]; expect: RegExp }> = [
  {
    name: 'an argument changed in tool_args',
    sql: [`UPDATE decision_events SET tool_args = json_set(tool_args, '$.amount', 999) WHERE tenant_seq = 3`],
    expect: /event hash mismatch at seq 3, leaf_index 2: stored fields hash to/,
  },
  {
    name: 'matched_rule_ids edited into text that is not JSON',
    sql: [`UPDATE decision_events SET matched_rule_ids = '[not json' WHERE tenant_seq = 4`],
    expect: /event hash mismatch at seq 4, leaf_index 3: stored fields hash to/,
  },
  {
    name: 'a row deleted',
    sql: ['DELETE FROM decision_events WHERE tenant_seq = 6'],
    expect: /leaf missing mismatch at leaf_index 5: leaf_index 5 is missing \(next stored is 6 at seq 7\)/,
  },
  {
    name: 'the last row deleted',
    sql: ['DELETE FROM decision_events WHERE tenant_seq = 20'],
    expect: /checkpoint 5 covers 20 leaves but only 19 sealed rows are stored/,
  },
  {
    name: 'two rows reordered',
    sql: [
      'UPDATE decision_events SET leaf_index = -1 WHERE tenant_seq = 9',
      'UPDATE decision_events SET leaf_index = 8 WHERE tenant_seq = 10',
      'UPDATE decision_events SET leaf_index = 9 WHERE tenant_seq = 9',
    ],
    expect: /order mismatch at seq 9, leaf_index 9: rows are out of append order/,
  },
  {
    name: 'a stored Merkle node changed',
    sql: ['UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1'],
    expect: /node mismatch: stored merkle node \(level 2, index 1\) differs from the one recomputed/,
  },
  {
    name: 'a checkpoint signature changed',
    sql: [`UPDATE ledger_checkpoints SET checkpoint_signature = (CASE WHEN substr(checkpoint_signature, 1, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(checkpoint_signature, 2) WHERE checkpoint_id = 2`],
    expect: /checkpoint mismatch at checkpoint 2: checkpoint signature does not verify/,
  },
  {
    name: 'a checkpoint root changed',
    sql: [`UPDATE ledger_checkpoints SET root_hash = '${'0'.repeat(64)}' WHERE checkpoint_id = 3`],
    expect: /checkpoint mismatch at checkpoint 3: checkpoint_payload differs/,
  },
]

test('ledger verify --data: an untouched store is intact (exit 0); usage errors exit 2', async (t) => {
  const { dir } = await buildLedger(t)
  const ok = await runCli('verify', '--data', dir)
  assert.equal(ok.exitCode, 0, ok.err)
  assert.match(ok.out, /✓ tenant tenant-t: intact — 20 entries \(0 not sealed yet\), 5 checkpoints, tree size 20/)
  const json = await runCli('verify', '--data', dir, '--tenant', TENANT, '--json')
  assert.equal(JSON.parse(json.out).tenants[0].result.intact, true)
  assert.equal((await runCli('verify', '--data', join(dir, 'nope'))).exitCode, 2)
  assert.equal((await runCli('verify')).exitCode, 2, '--data is required')

  for (const tamper of TAMPERS) {
    const copy = tempDir(t, 'ledgix-tampered-')
    cpSync(dir, copy, { recursive: true })
    const db = openRetainedDatabase(join(copy, 'vault.db'))
    for (const sql of tamper.sql) db.prepare(sql).run()
    db.close()
    const r = await runCli('verify', '--data', copy)
    assert.equal(r.exitCode, 1, `${tamper.name}: ${r.out}`)
    assert.match(r.out, tamper.expect, tamper.name)
  }
})

test('GET /ledger/verify on a server restarted over a tampered file names the damage', async (t) => {
  const { dir, apiKey } = await buildLedger(t)
  const db = openRetainedDatabase(join(dir, 'vault.db'))
  db.prepare(TAMPERS[0]!.sql[0]!).run()
  db.close()
  const server = await startVaultServer({ config: vaultConfig(dir, { ledger: FAST_LEDGER }) })
  t.after(() => server.close())
  const res = await call(`http://127.0.0.1:${server.port}`, 'GET', '/ledger/verify', { key: apiKey })
  assert.equal(res.status, 200)
  assert.equal(res.body.intact, false)
  assert.deepEqual([res.body.mismatch.kind, res.body.mismatch.seq, res.body.mismatch.leaf_index], ['event_hash', 3, 2])
  assert.match(res.body.error, TAMPERS[0]!.expect)
  assert.equal(res.body.verified_entries, 2, 'stopped at the first mismatch')
})
