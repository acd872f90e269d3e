// /ledger/verify runs while the sealer runs: the pass pauses between pages and a seal may commit in
// that gap (a checkpoint and the rows it covers, in one transaction). A row sealed after the pass
// had read "no later checkpoint" must be judged against the checkpoint committed with it, never be
// reported as sealed-but-uncovered; a sealed row whose checkpoint really is gone still is.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import { LedgerService, nodeLedgerCrypto, verifyStoredLedger } from '../../src/ledger/index.ts'
import type { StoreVerification } from '../../src/ledger/index.ts'
import { openRetainedDatabase, openSqliteStore } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { event, JWKS, SIGNER, TENANT } from './stored-ledger.ts'

type T = { after(fn: () => void | Promise<void>): void }

/** An open store with `batches` sealed in that order (one checkpoint each), then `unsealed` rows. */
async function openLedger(t: T, batches: readonly number[], unsealed: number) {
  const dir = tempDir(t, 'ledgix-concurrent-seal-')
  const path = join(dir, 'vault.db')
  const store = openSqliteStore({ path })
  t.after(() => store.close())
  const svc = new LedgerService({
    store, clock: new ManualClock(1_800_000_000_000), signer: () => SIGNER, sealBatchSize: 1000, sealIntervalMs: 60_000, mmdSeconds: 30,
    encryptionKey: null, onError: (err) => { throw err },
  })
  let n = 0
  for (const size of batches) {
    for (let j = 0; j < size; j++) await svc.append(event(n++))
    assert.equal(await svc.sealer.sealBatch(TENANT), size)
  }
  for (let j = 0; j < unsealed; j++) await svc.append(event(n++))
  return { store, svc, path, total: n }
}

/** Verifies with the sealer sealing every unsealed row at the `sealAt`-th pause of the pass. */
async function verifySealingAt(t: T, batches: readonly number[], unsealed: number, pageSize: number, sealAt: number) {
  const l = await openLedger(t, batches, unsealed)
  let pauses = 0
  let sealed = -1
  const result = await verifyStoredLedger(l.store, TENANT, {
    pinnedJwks: JWKS, crypto: nodeLedgerCrypto, body: async () => null, pageSize, signatureWorkers: 0,
    pause: async () => {
      if (pauses++ === sealAt) sealed = await l.svc.sealer.sealBatch(TENANT)
    },
  })
  return { ...l, result, sealed }
}

const describe = (r: StoreVerification): string => JSON.stringify(r)

test('the exact failing interleaving: checkpoint end read, then a seal in the pause, then the next page', async (t) => {
  // One sealed row (checkpoint 1), two unsealed; the first page holds leaf 0 only, the cursor reads
  // "no checkpoint after 1", the sealer seals leaves 1–2 under checkpoint 2, the next page reads them.
  const { result, sealed } = await verifySealingAt(t, [1], 2, 1000, 0)
  assert.equal(sealed, 2, 'the seal ran inside the pass')
  assert.equal(result.intact, true, describe(result))
  assert.deepEqual([result.tree_size, result.verified_checkpoints, result.verified_entries, result.unsealed_entries], [3, 2, 3, 0])
})

test('a seal at any pause of the pass, any page size, never reads as damage', async (t) => {
  for (const pageSize of [1, 2, 3, 1000]) {
    for (let sealAt = 0; sealAt < 8; sealAt++) {
      const { result, total } = await verifySealingAt(t, [4, 3], 5, pageSize, sealAt)
      const where = `pageSize ${pageSize}, seal at pause ${sealAt}: ${describe(result)}`
      assert.equal(result.intact, true, where)
      assert.equal(result.mismatch, undefined, where)
      // Rows sealed after their phase was read may go unread in this pass, never double-counted.
      assert.ok(result.verified_entries <= total && result.tree_size >= 7, where)
    }
  }
})

test('a sealed row whose checkpoint was deleted is still reported as uncovered', async (t) => {
  const l = await openLedger(t, [1, 2], 1)
  const db = openRetainedDatabase(l.path)
  db.prepare('DELETE FROM ledger_checkpoints WHERE tenant_id = ? AND checkpoint_id = 2').run(TENANT)
  db.close()
  const result = await verifyStoredLedger(l.store, TENANT, { pinnedJwks: JWKS, crypto: nodeLedgerCrypto, body: async () => null, pause: async () => {} })
  assert.equal(result.intact, false)
  assert.deepEqual([result.mismatch?.kind, result.mismatch?.leaf_index, result.mismatch?.seq], ['checkpoint_uncovered', 1, 2], describe(result))
})
