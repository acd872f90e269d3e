// Stored Merkle nodes are confirmed a range per read (matchLedgerNodes) and read node by node only to
// name the damage: a changed, missing, wrongly typed or wrongly sized node is reported precisely,
// including two neighbours re-cut (31 + 33 bytes) so that their concatenation is unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openSqliteStore } from '../../src/store/index.ts'
import { buildLedger, TENANT, verifyCopy } from './stored-ledger.ts'

const CASES: Array<{ name: string; sql: string; detail: RegExp; level: number; index: number }> = [
  {
    name: 'a changed inner node',
    sql: 'UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 3',
    detail: /^stored merkle node \(level 2, index 3\) differs from the one recomputed/, level: 2, index: 3,
  },
  {
    name: 'a deleted leaf node',
    sql: 'DELETE FROM ledger_nodes WHERE level = 0 AND idx = 17',
    detail: /^stored merkle leaf node 17 is missing$/, level: 0, index: 17,
  },
  {
    name: 'a node stored as text (its hex) instead of a blob',
    sql: 'UPDATE ledger_nodes SET hash = lower(hex(hash)) WHERE level = 1 AND idx = 5',
    detail: /^stored merkle node \(level 1, index 5\) differs/, level: 1, index: 5,
  },
  {
    name: 'a node cut to 31 bytes',
    sql: 'UPDATE ledger_nodes SET hash = substr(hash, 1, 31) WHERE level = 0 AND idx = 9',
    detail: /^stored merkle leaf node 9 differs/, level: 0, index: 9,
  },
  {
    name: 'two neighbours re-cut 31 + 33 bytes (same concatenation)',
    sql: `UPDATE ledger_nodes SET hash = CASE idx
            WHEN 12 THEN substr(hash, 1, 31)
            ELSE substr((SELECT hash FROM ledger_nodes n WHERE n.tenant_id = ledger_nodes.tenant_id AND n.level = 0 AND n.idx = 12), 32, 1) || hash END
          WHERE level = 0 AND idx IN (12, 13)`,
    detail: /^stored merkle leaf node 12 differs/, level: 0, index: 12,
  },
]

test('each damaged stored node is named with its level and index, with and without workers, any page size', async (t) => {
  const base = await buildLedger(t)
  for (const c of CASES) {
    for (const [workers, pageSize] of [[0, 1000], [0, 5], [2, 5]] as const) {
      const r = await verifyCopy(t, base, [c.sql], workers, pageSize)
      assert.equal(r.intact, false, c.name)
      assert.equal(r.mismatch?.kind, 'node', `${c.name}: ${r.error}`)
      assert.match(r.mismatch!.detail, c.detail, c.name)
      assert.deepEqual([r.mismatch?.level, r.mismatch?.index], [c.level, c.index], c.name)
      if (c.level === 0) assert.equal(r.mismatch?.leaf_index, c.index, c.name)
    }
  }
})

test('matchLedgerNodes counts present and exactly equal nodes in the range only', async (t) => {
  const base = await buildLedger(t)
  const store = openSqliteStore({ path: join(base, 'vault.db') })
  t.after(() => store.close())
  const stored = await store.listLedgerNodes(TENANT, 0, 4, 12)
  assert.equal(stored.length, 8)
  const expected = new Uint8Array(8 * 32)
  stored.forEach((n, i) => expected.set(n.hash, i * 32))
  assert.deepEqual(await store.matchLedgerNodes(TENANT, 0, 4, expected), { count: 8, minIndex: 4, maxIndex: 11, matching: 8 })
  expected[3 * 32 + 7]! ^= 1
  assert.deepEqual(await store.matchLedgerNodes(TENANT, 0, 4, expected), { count: 8, minIndex: 4, maxIndex: 11, matching: 7 })
  // Past the end of the tree (40 leaves): nothing stored.
  assert.deepEqual(await store.matchLedgerNodes(TENANT, 0, 40, new Uint8Array(64)), { count: 0, minIndex: null, maxIndex: null, matching: 0 })
  // Another tenant's range is empty.
  assert.equal((await store.matchLedgerNodes('someone-else' as typeof TENANT, 0, 0, expected)).count, 0)
})
