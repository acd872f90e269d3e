// LedgerService over a real SQLite store, without HTTP: appends in random batches, seals, and checks
// stored nodes, roots and every proof against the in-memory reference; the seal guard against a
// racing sealer; a restart continuing from the store; O(log n) node reads per proof.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import {
  bytesToHex,
  createNodeSigner,
  digestFromHex,
  ed25519PrivateKeyFromSeed,
  LedgerService,
  merkleConsistencyPath,
  merkleInclusionPath,
  merkleRoot,
  nodeLedgerCrypto,
} from '../../src/ledger/index.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import type { DecisionEvent, Store } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const crypto = nodeLedgerCrypto
const PRIVATE = ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(7))
const SIGNER = createNodeSigner('test-kid', PRIVATE)
const JWKS = { keys: [{ ...createPublicKey(PRIVATE).export({ format: 'jwk' }), kid: 'test-kid' }] }
const OTHER_JWKS = { keys: [{ ...createPublicKey(ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(8))).export({ format: 'jwk' }), kid: 'test-kid' }] }
const TENANT = 'tenant-s' as TenantId

function event(i: number, tenantId = TENANT): DecisionEvent {
  return {
    tenantId, eventUuid: randomUUID(), eventType: 'clearance', requestId: `req-${tenantId}-${i}`, toolName: 'pay', toolArgs: { amount: i, note: 'x' },
    agentId: 'a', policyId: 'p', reason: 'ok', citations: [], evidenceChunks: [], confidence: 0.95, confidenceBucket: 'extra_high',
    decisionStatus: 'approved', approved: true, acceptedAt: new Date(1_800_000_000_000 + i).toISOString(), intentHash: 'ab'.repeat(32),
    ruleSetHash: '', matchedRuleIds: [], evalInputsHash: '', evalTraceHash: '', classifierLabel: '', classifierConfidenceBucket: '', canonicalVersion: 3,
  }
}

function service(store: Store, batch: number): LedgerService {
  return new LedgerService({
    store, clock: new ManualClock(1_800_000_000_000), signer: () => SIGNER, sealBatchSize: batch, sealIntervalMs: 60_000, mmdSeconds: 30,
    encryptionKey: null, onError: (err) => { throw err },
  })
}

test('random batches: stored nodes = 2n − popcount(n), every root and proof equals the reference', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  let seed = 42
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
  let total = 0
  const svc = service(store, 1000)
  while (total < 70) {
    const n = 1 + rand(9)
    await Promise.all(Array.from({ length: n }, (_, i) => svc.append(event(total + i))))
    total += n
    assert.equal(await svc.sealer.sealBatch(TENANT), n)
  }
  const rows = await store.listLedgerEventsByLeaf(TENANT, 0, 1000)
  const leaves = rows.map((r) => digestFromHex(r.leafHash)!)
  const checkpoints = await store.listLedgerCheckpoints(TENANT, { after: null, limit: 1000, order: 'asc' })
  let stored = 0
  for (let level = 0; level < 8; level++) stored += (await store.listLedgerNodes(TENANT, level, 0, 1000)).length
  const popcount = total.toString(2).replaceAll('0', '').length
  assert.equal(stored, 2 * total - popcount)
  for (const cp of checkpoints) assert.equal(cp.rootHash, bytesToHex(merkleRoot(leaves.slice(0, cp.treeSize), crypto)))
  for (const row of rows) {
    const inc = await svc.inclusion(TENANT, row.requestId, null)
    assert.ok(inc.ok)
    const covering = checkpoints.find((c) => c.checkpointId === row.checkpointId)!
    assert.deepEqual(inc.value.path, merkleInclusionPath(leaves.slice(0, covering.treeSize), row.leafIndex!, crypto).map(bytesToHex))
  }
  for (const from of checkpoints) {
    const to = checkpoints[checkpoints.length - 1]!
    const p = await svc.consistency(TENANT, from.checkpointId, to.checkpointId)
    assert.ok(p.ok)
    const expected = from.treeSize === to.treeSize ? [] : merkleConsistencyPath(leaves, from.treeSize, crypto).map(bytesToHex)
    assert.deepEqual(p.value.path, expected)
  }
  const verify = await svc.verify(TENANT, JWKS)
  assert.deepEqual([verify.intact, verify.verified_entries, verify.tree_size], [true, total, total])
  const wrong = await svc.verify(TENANT, OTHER_JWKS)
  assert.deepEqual([wrong.intact, wrong.mismatch?.kind, wrong.mismatch?.seq], [false, 'checkpoint', undefined], 'another key under the same kid fails closed')
  assert.equal(wrong.mismatch?.checkpoint_id, 1)
})

test('a racing sealer loses the guard and changes nothing; a restarted service continues the chain', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  let store = openSqliteStore({ path })
  const appender = service(store, 1000) // never kicks its own sealer
  const a = service(store, 4)
  const b = service(store, 4)
  for (let i = 0; i < 6; i++) await appender.append(event(i))
  // Both read the same head; only the first write wins.
  const [x, y] = await Promise.all([a.sealer.sealBatch(TENANT), b.sealer.sealBatch(TENANT)])
  assert.deepEqual([x, y].sort(), [0, 4])
  assert.equal((await store.getLatestLedgerCheckpoint(TENANT))!.treeSize, 4)
  await store.close()
  // "Crash" with 2 appended, unsealed events; the next start seals them under checkpoint 2.
  store = openSqliteStore({ path })
  t.after(() => store.close())
  const c = service(store, 4)
  await c.start()
  await c.stop()
  const latest = (await store.getLatestLedgerCheckpoint(TENANT))!
  assert.deepEqual([latest.checkpointId, latest.treeSize], [2, 6])
  assert.equal(latest.prevCheckpointHash, (await store.getLedgerCheckpoint(TENANT, 1))!.checkpointHash)
})

test('proofs read O(log n) stored nodes, never the leaves', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  const svc = service(store, 512)
  for (let i = 0; i < 1000; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => svc.append(event(i + j))))
  }
  while ((await svc.sealer.sealBatch(TENANT)) > 0) { /* seal 1000 in two batches */ }
  let reads = 0
  const counting = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown
      if (prop === 'getLedgerNodes') return (tenant: TenantId, refs: unknown[]) => ((reads += refs.length), target.getLedgerNodes(tenant, refs as never))
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  const probe = service(counting, 512)
  const inc = await probe.inclusion(TENANT, 'req-tenant-s-617', null)
  assert.ok(inc.ok)
  assert.ok(reads <= 2 * Math.ceil(Math.log2(1000)), `inclusion read ${reads} nodes`)
  reads = 0
  assert.ok((await probe.consistency(TENANT, 1, 2)).ok)
  assert.ok(reads <= 2 * Math.ceil(Math.log2(1000)), `consistency read ${reads} nodes`)
})

test('tenants never share leaves, seqs or checkpoints', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  const svc = service(store, 100)
  const other = 'tenant-o' as TenantId
  for (let i = 0; i < 5; i++) await Promise.all([svc.append(event(i)), svc.append(event(i, other))])
  await svc.sealer.flush()
  for (const tenant of [TENANT, other]) {
    const rows = await store.listLedgerEvents(tenant, { after: null, limit: 100, order: 'asc' })
    assert.deepEqual(rows.map((r) => [r.seq, r.leafIndex]), [[1, 0], [2, 1], [3, 2], [4, 3], [5, 4]])
    assert.ok(rows.every((r) => r.tenantId === tenant))
  }
  assert.equal((await svc.inclusion(other, 'req-tenant-s-0', null)).ok, false)
})
