// The two modes of the stored-ledger verification (docs/design/ledger.md "Verification modes"):
// 'full' checks every receipt signature; 'tree' proves sealed rows through leaf → tree → signed
// checkpoint and checks receipt signatures only where nothing else signs the row (unsealed rows).
// Each case tampers with the SQLite file directly and states which mode must notice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { createNodeSigner, ed25519PrivateKeyFromSeed, LedgerService } from '../../src/ledger/index.ts'
import { openRetainedDatabase, openSqliteStore } from '../../src/store/index.ts'
import type { DecisionEvent, SqliteStore } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const PRIVATE = ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(9))
const SIGNER = createNodeSigner('modes-kid', PRIVATE)
const JWKS = { keys: [{ ...createPublicKey(PRIVATE).export({ format: 'jwk' }), kid: 'modes-kid' }] }
const TENANT = 'tenant-m' as TenantId

function event(i: number): DecisionEvent {
  return {
    tenantId: TENANT, eventUuid: randomUUID(), eventType: 'clearance', requestId: `req-m-${i}`, toolName: 'pay', toolArgs: { amount: i },
    agentId: 'a', policyId: 'p', reason: 'ok', citations: [], evidenceChunks: [], confidence: 0.95, confidenceBucket: 'extra_high',
    decisionStatus: 'approved', approved: true, acceptedAt: new Date(1_800_000_000_000 + i).toISOString(), intentHash: 'ab'.repeat(32),
    ruleSetHash: '', matchedRuleIds: [], evalInputsHash: '', evalTraceHash: '', classifierLabel: '', classifierConfidenceBucket: '', canonicalVersion: 3,
  }
}

/** 8 sealed rows (2 checkpoints) and 2 unsealed rows, in a store that is still open. */
async function ledger(t: { after(fn: () => unknown): void }): Promise<{ store: SqliteStore; svc: LedgerService; path: string }> {
  const path = join(tempDir(t), 'vault.db')
  const store = openSqliteStore({ path })
  t.after(() => store.close())
  const svc = new LedgerService({
    store, clock: new ManualClock(1_800_000_000_000), signer: () => SIGNER, sealBatchSize: 1000, sealIntervalMs: 60_000, mmdSeconds: 30,
    encryptionKey: null, onError: (err) => { throw err },
  })
  // Batches far larger than the test (no automatic kick) and a long interval: seals happen only here.
  for (let i = 0; i < 4; i++) await svc.append(event(i))
  assert.equal(await svc.sealer.sealBatch(TENANT), 4)
  for (let i = 4; i < 8; i++) await svc.append(event(i))
  assert.equal(await svc.sealer.sealBatch(TENANT), 4)
  for (let i = 8; i < 10; i++) await svc.append(event(i))
  return { store, svc, path }
}

/** Flip one byte of a stored receipt signature (base64url text) of the row with this tenant seq. */
function corruptReceiptSignature(path: string, seq: number): void {
  const db = openRetainedDatabase(path)
  const row = db.prepare('SELECT receipt_signature AS s FROM decision_events WHERE tenant_seq = ?').get(seq) as { s: string }
  const flipped = (row.s[5] === 'A' ? 'B' : 'A')
  db.prepare('UPDATE decision_events SET receipt_signature = ? WHERE tenant_seq = ?').run(row.s.slice(0, 5) + flipped + row.s.slice(6), seq)
  db.close()
}

test('intact ledger: both modes pass, count every row and say which mode ran', async (t) => {
  const { svc } = await ledger(t)
  for (const mode of ['full', 'tree'] as const) {
    const r = await svc.verify(TENANT, JWKS, undefined, mode)
    assert.equal(r.intact, true, r.error)
    assert.equal(r.mode, mode)
    assert.equal(r.verified_entries, 10)
    assert.equal(r.unsealed_entries, 2)
    assert.equal(r.verified_checkpoints, 2)
  }
  // The default is the full pass.
  assert.equal((await svc.verify(TENANT, JWKS)).mode, 'full')
})

test('a corrupted receipt signature on a sealed row: full fails at that row, tree does not check it', async (t) => {
  const { svc, path } = await ledger(t)
  corruptReceiptSignature(path, 3)
  const full = await svc.verify(TENANT, JWKS, undefined, 'full')
  assert.equal(full.intact, false)
  assert.equal(full.mismatch?.kind, 'receipt')
  assert.equal(full.mismatch?.seq, 3)
  // Documented limit of tree mode: the row's content is still proven by the signed checkpoint root,
  // but the stored receipt signature itself is not re-verified.
  const tree = await svc.verify(TENANT, JWKS, undefined, 'tree')
  assert.equal(tree.intact, true, tree.error)
})

test('a corrupted receipt signature on an unsealed row fails in both modes (nothing else signs it)', async (t) => {
  const { svc, path } = await ledger(t)
  corruptReceiptSignature(path, 9)
  for (const mode of ['full', 'tree'] as const) {
    const r = await svc.verify(TENANT, JWKS, undefined, mode)
    assert.equal(r.intact, false, mode)
    assert.equal(r.mismatch?.kind, 'receipt', mode)
    assert.equal(r.mismatch?.seq, 9, mode)
  }
})

test('changed content of a sealed row fails in both modes', async (t) => {
  const { svc, path } = await ledger(t)
  const db = openRetainedDatabase(path)
  db.prepare(`UPDATE decision_events SET tool_args = '{"amount":999}' WHERE tenant_seq = 2`).run()
  db.close()
  for (const mode of ['full', 'tree'] as const) {
    const r = await svc.verify(TENANT, JWKS, undefined, mode)
    assert.equal(r.intact, false, mode)
    assert.equal(r.mismatch?.kind, 'event_hash', mode)
    assert.equal(r.mismatch?.seq, 2, mode)
  }
})

test('a receipt payload that no longer matches its sealed row fails in both modes', async (t) => {
  const { svc, path } = await ledger(t)
  const db = openRetainedDatabase(path)
  const other = db.prepare('SELECT receipt_payload AS p FROM decision_events WHERE tenant_seq = 5').get() as { p: string }
  db.prepare('UPDATE decision_events SET receipt_payload = ? WHERE tenant_seq = 4').run(other.p)
  db.close()
  for (const mode of ['full', 'tree'] as const) {
    const r = await svc.verify(TENANT, JWKS, undefined, mode)
    assert.equal(r.intact, false, mode)
    assert.equal(r.mismatch?.kind, 'receipt', mode)
    assert.equal(r.mismatch?.seq, 4, mode)
  }
})
