// Issue 17 leftover: the sealer itself finds a ledger break. Before extending a tenant's tree it
// recomputes the head checkpoint's root from the stored nodes; when a node (or the checkpoint) was
// altered it seals nothing more for that tenant (fail closed) and raises ledger.verification_failed
// with check "sealer" once, however many ticks retry.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { call } from '../vault/helpers.ts'
import type { Harness } from '../vault/helpers.ts'
import type { PostgresStore } from '../../src/store/index.ts'
import { startReceiver } from './receiver.ts'
import { putChannels, startNotifyHarness, webhookChannel } from './setup.ts'

// The sealer ticks once a minute here: the test drives every pass with flush().
const LEDGER = { sealBatchSize: 256, sealIntervalMs: 60_000, mmdSeconds: 120, encryptionKey: null }

async function clearances(h: Harness, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'pay', tool_args: { amount: i } } })
    assert.equal(res.status, 200, res.text)
  }
}

async function checkpoints(h: Harness): Promise<number> {
  return (await h.server.context.store.getLatestLedgerCheckpoint(h.tenantA))?.checkpointId ?? 0
}

/** Run `sql` on the harness's store behind its back: the SQLite file, or (LEDGIX_TEST_STORE=postgres) its schema. */
async function tamper(h: Harness, sqlite: string, postgres: string): Promise<void> {
  const store = h.server.context.store
  if (store.driver === 'postgres') {
    const { adminQuery } = await import('../helpers/postgres.ts')
    await adminQuery(`SET search_path TO ${(store as PostgresStore).schema}; ${postgres}`)
    return
  }
  const db = new Database(join(h.dataDir, 'vault.db'))
  db.prepare(sqlite).run()
  db.close()
}

const ROOT = 'ab'.repeat(32)
for (const [what, sqlite, postgres] of [
  ['a stored Merkle node', "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE tenant_id = 'tenant-a' AND level = 0 AND idx = 2", "UPDATE ledger_nodes SET hash = decode(repeat('00', 32), 'hex') WHERE tenant_id = 'tenant-a' AND level = 0 AND idx = 2"],
  ['the head checkpoint\'s root', `UPDATE ledger_checkpoints SET root_hash = '${ROOT}' WHERE tenant_id = 'tenant-a'`, `UPDATE ledger_checkpoints SET root_hash = '${ROOT}' WHERE tenant_id = 'tenant-a'`],
] as const) {
  test(`${what} tampered in the store → the sealer seals nothing more for the tenant and notifies once (check "sealer")`, async (t) => {
    const h = await startNotifyHarness(t, {}, { config: { defaultEffect: 'deny', ledger: LEDGER } })
    const rx = await startReceiver(t)
    await putChannels(h, [webhookChannel(rx.url, { events: ['ledger.verification_failed'] })])
    const sealer = h.server.context.ledgerService.sealer
    await clearances(h, 3)
    await sealer.flush()
    assert.equal(await checkpoints(h), 1)

    await tamper(h, sqlite, postgres)

    await clearances(h, 2, 3)
    await sealer.flush()
    await clearances(h, 1, 5)
    sealer.kick()
    await sealer.flush()
    assert.equal(await checkpoints(h), 1, 'no checkpoint is signed over the break')
    assert.equal((await h.server.context.store.listUnsealedLeaves(h.tenantA, 100)).length, 3, 'the new events stay unsealed')

    const [event] = await rx.waitFor(1)
    assert.equal(event!.json.type, 'ledger.verification_failed')
    assert.equal(event!.json.ledger.check, 'sealer')
    assert.match(event!.json.ledger.detail, /sealing stopped for this tenant/)
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(rx.received.length, 1, 'one event for one break, however many passes retried')

    // Tenant B's ledger is untouched and seals as before.
    const b = await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: { tool_name: 'pay', tool_args: { amount: 1 } } })
    assert.equal(b.status, 200)
    await sealer.flush()
    assert.equal((await h.server.context.store.getLatestLedgerCheckpoint(h.tenantB))?.checkpointId, 1)
  })
}
