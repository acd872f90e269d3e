// Full verification with sealed rows' receipt signatures on worker threads reports exactly what the
// single-threaded pass reports — same mismatch, same counters — including when a later failure found
// on the main thread races an earlier bad signature still in flight. Also the queue alone: many
// batches on two workers, the earliest bad job wins whichever worker answers first.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { nodeLedgerCrypto, verifyStoredLedger } from '../../src/ledger/index.ts'
import { ReceiptSignatureQueue } from '../../src/ledger/verify-signatures.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import { badSignature, buildLedger, changedArgs, JWKS, RAW_KEY, SEALED, SIGNER, TENANT, UNSEALED, verifyCopy } from './stored-ledger.ts'

const CASES: Array<{ name: string; sql: string[]; kind: string | null; seq?: number }> = [
  { name: 'untouched', sql: [], kind: null },
  { name: 'bad signature on the first page (checked inline)', sql: [badSignature(3)], kind: 'receipt', seq: 3 },
  { name: 'bad signature on a later page (checked on a worker)', sql: [badSignature(30)], kind: 'receipt', seq: 30 },
  { name: 'bad signature at a checkpoint boundary (leaf 23, last of checkpoint 6)', sql: [badSignature(24)], kind: 'receipt', seq: 24 },
  { name: 'bad signature on the last sealed row', sql: [badSignature(40)], kind: 'receipt', seq: 40 },
  { name: 'two bad signatures: the earlier wins', sql: [badSignature(22), badSignature(14)], kind: 'receipt', seq: 14 },
  { name: 'bad signature before changed content: the signature wins', sql: [badSignature(30), changedArgs(35)], kind: 'receipt', seq: 30 },
  { name: 'changed content before a bad signature: the content wins', sql: [badSignature(35), changedArgs(30)], kind: 'event_hash', seq: 30 },
  { name: 'bad signature in a page whose stored node differs', sql: [badSignature(29), 'UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 30'], kind: 'receipt', seq: 29 },
  { name: 'stored node differs, no bad signature before it', sql: [badSignature(38), 'UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 30'], kind: 'node' },
  { name: 'bad signature on the last sealed row and a changed last checkpoint root', sql: [badSignature(40), `UPDATE ledger_checkpoints SET root_hash = '${'0'.repeat(64)}' WHERE checkpoint_id = 10`], kind: 'checkpoint' },
  { name: 'a sealed bad signature precedes an unsealed one', sql: [badSignature(41), badSignature(38)], kind: 'receipt', seq: 38 },
  { name: 'only an unsealed bad signature', sql: [badSignature(41)], kind: 'receipt', seq: 41 },
  { name: 'a deleted row after a bad signature', sql: [badSignature(17), 'DELETE FROM decision_events WHERE tenant_seq = 33'], kind: 'receipt', seq: 17 },
]

test('worker-checked signatures report exactly the single-threaded result (mismatch and counters)', async (t) => {
  const base = await buildLedger(t)
  for (const c of CASES) {
    for (const pageSize of [4, 7]) {
      const inline = await verifyCopy(t, base, c.sql, 0, pageSize)
      const pooled = await verifyCopy(t, base, c.sql, 2, pageSize)
      assert.deepEqual(pooled, inline, `${c.name} (page ${pageSize})`)
      assert.equal(inline.intact, c.kind === null, `${c.name}: ${inline.error}`)
      if (c.kind !== null) assert.equal(inline.mismatch?.kind, c.kind, `${c.name}: ${inline.error}`)
      if (c.seq !== undefined) assert.equal(inline.mismatch?.seq, c.seq, c.name)
    }
  }
})

test('the pool really takes the sealed signatures: only the first page and unsealed rows verify on this thread', async (t) => {
  const base = await buildLedger(t)
  const store = openSqliteStore({ path: join(base, 'vault.db') })
  t.after(() => store.close())
  for (const [workers, expected] of [[0, SEALED + UNSEALED + 10], [2, 4 + UNSEALED + 10]] as const) {
    let calls = 0
    const counting = { sha256: nodeLedgerCrypto.sha256, verifyEd25519: (k: Uint8Array, m: Uint8Array, s: Uint8Array) => (calls++, nodeLedgerCrypto.verifyEd25519(k, m, s)) }
    const r = await verifyStoredLedger(store, TENANT, { pinnedJwks: JWKS, crypto: counting, body: async () => null, mode: 'full', pageSize: 4, signatureWorkers: workers })
    assert.equal(r.intact, true, r.error)
    // Receipts on this thread plus one signature per checkpoint (10).
    assert.equal(calls, expected, `${workers} workers`)
  }
})

test('tree mode queues nothing: a sealed bad signature stays unchecked, an unsealed one fails', async (t) => {
  const base = await buildLedger(t)
  const sealed = await verifyCopy(t, base, [badSignature(30)], 2, 4, 'tree')
  assert.equal(sealed.intact, true, sealed.error)
  assert.equal(sealed.mode, 'tree')
  const unsealed = await verifyCopy(t, base, [badSignature(42)], 2, 4, 'tree')
  assert.deepEqual([unsealed.intact, unsealed.mismatch?.kind, unsealed.mismatch?.seq], [false, 'receipt', 42])
})

test('queue: many batches on two workers, the earliest bad job is reported whichever worker answers first', async () => {
  const payloads = Array.from({ length: 60 }, (_, i) => new TextEncoder().encode(`payload ${i} `.repeat(1 + (i % 5))))
  const signatures = payloads.map((p) => SIGNER.sign(p))
  const keys = new Map([['workers-kid', RAW_KEY]])
  const run = async (bad: readonly number[]): Promise<number | null> => {
    const queue = new ReceiptSignatureQueue<number>(keys, 2, 3)
    try {
      for (let i = 0; i < payloads.length; i++) {
        const sig = bad.includes(i) ? Uint8Array.from(signatures[i]!, (b, k) => (k === 0 ? b ^ 1 : b)) : signatures[i]!
        const wait = queue.push(i === 17 && bad.includes(-1) ? 'unknown-kid' : 'workers-kid', sig, payloads[i]!, payloads[i]!.length, i)
        if (wait !== null) await wait
        // Once a completed batch holds a failure, later rows cannot change the answer.
        if (queue.firstBad !== null) break
      }
      return await queue.firstFailure()
    } finally {
      await queue.close()
    }
  }
  assert.equal(await run([]), null)
  assert.equal(await run([0]), 0)
  assert.equal(await run([59]), 59)
  assert.equal(await run([44, 5]), 5)
  // 25 sits in a batch sent to one worker, 13 in a batch sent to the other.
  assert.equal(await run([25, 13]), 13)
  assert.equal(await run([-1]), 17, 'an unknown kid verifies as false')
  // A signature that is not 64 bytes fails on the worker as in nodeLedgerCrypto.verifyEd25519.
  const queue = new ReceiptSignatureQueue<string>(keys, 1, 2)
  queue.push('workers-kid', new Uint8Array(0), payloads[0]!, payloads[0]!.length, 'empty')
  assert.equal(await queue.firstFailure(), 'empty')
  await queue.close()
})
