// The ledger through the Vault API: append → seal → rows, checkpoints and proofs that our strict
// verifiers accept, the SDK's verifyLedgerProof flow, tenant isolation, "not sealed yet", paging,
// and encryption at rest.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openRetainedDatabase } from '../../src/store/index.ts'
import { join } from 'node:path'
import { digestFromHex, nodeLedgerCrypto, verifyConsistency, verifyInclusion, verifyLedger, verifyProofBundle } from '../../src/ledger/index.ts'
import { call } from './helpers.ts'
import { decide, getJson, jwks, ledgerHarness, sdkView, sealAll } from '../ledger/ledger-harness.ts'

const crypto = nodeLedgerCrypto
const hex = (h: string): Uint8Array => digestFromHex(h)!

test('append → seal: rows, checkpoints, inclusion, consistency and bundles all verify strictly', async (t) => {
  const h = await ledgerHarness(t)
  const ids = await decide(h, 37)
  await sealAll(h)
  const pinned = await jwks(h)
  const { entries } = await getJson(h, '/ledger?limit=100&view=full', h.keys.reviewer)
  const { checkpoints } = await getJson(h, '/ledger/checkpoints?limit=100')
  assert.equal(entries.length, 37)
  assert.ok(checkpoints.length >= 5, 'batches of at most 8 events')
  assert.equal(checkpoints[0].prev_checkpoint_hash, '', 'genesis')
  assert.equal(checkpoints[checkpoints.length - 1].tree_size, 37)
  for (const e of entries) {
    assert.equal(typeof e.confidence, 'number')
    assert.equal(typeof e.approved, 'boolean')
    assert.equal(e.canonical_version, 3)
    assert.notEqual(e.leaf_index, null)
  }
  assert.deepEqual(entries.map((e: { seq: number }) => e.seq), Array.from({ length: 37 }, (_, i) => i + 1), 'per-tenant seq from 1')
  const whole = verifyLedger(entries, checkpoints, crypto, { pinnedJwks: pinned })
  assert.deepEqual([whole.intact, whole.error, whole.coverage_note], [true, undefined, undefined])

  for (const id of ids) {
    // Full events are for auditors (reviewer/admin keys); an agent key's bundle is redacted.
    const bundle = await getJson(h, `/ledger/proof/bundle?request_id=${encodeURIComponent(id)}`, h.keys.reviewer)
    const verdict = verifyProofBundle(bundle, crypto, { pinnedJwks: pinned, requireEventBody: true })
    assert.equal(verdict.intact, true, `${id}: ${verdict.error}`)
    const latest = checkpoints[checkpoints.length - 1]
    if (bundle.inclusion.checkpoint.checkpoint_id === latest.checkpoint_id) assert.equal('consistency' in bundle, false, 'omitted, never null')
    else assert.equal(bundle.consistency.to_checkpoint.checkpoint_id, latest.checkpoint_id)
    assert.ok(bundle.keys.length >= 1)
    const inc = await getJson(h, `/ledger/proof/inclusion?request_id=${encodeURIComponent(id)}`)
    assert.equal(inc.tree_size, inc.checkpoint.tree_size)
    assert.ok(verifyInclusion({ leafHash: hex(inc.leaf_hash), leafIndex: inc.leaf_index, treeSize: inc.tree_size, path: inc.path.map(hex), rootHash: hex(inc.checkpoint.root_hash) }, crypto))
  }
  for (let a = 1; a <= checkpoints.length; a++) {
    for (let b = a; b <= checkpoints.length; b++) {
      const p = await getJson(h, `/ledger/proof/consistency?from=${a}&to=${b}`)
      const ok = verifyConsistency({
        firstSize: p.from_checkpoint.tree_size, secondSize: p.to_checkpoint.tree_size, path: p.path.map(hex),
        firstRoot: hex(p.from_checkpoint.root_hash), secondRoot: hex(p.to_checkpoint.root_hash),
      }, crypto)
      assert.ok(ok, `consistency ${a} → ${b}`)
    }
  }
  const verify = await getJson(h, '/ledger/verify')
  assert.deepEqual([verify.intact, verify.mode, verify.verified_entries, verify.verified_checkpoints, verify.tree_size], [true, 'full', 37, checkpoints.length, 37])
  const tree = await getJson(h, '/ledger/verify?mode=tree')
  assert.deepEqual([tree.intact, tree.mode, tree.verified_entries, tree.tree_size], [true, 'tree', 37, 37])
  const bogus = await call(h.base, 'GET', '/ledger/verify?mode=fast', { key: h.keys.agent })
  assert.equal(bogus.status, 400, bogus.text)
  const summary = await getJson(h, '/ledger/verification-summary')
  assert.deepEqual([summary.entries, summary.unsealed_entries, summary.tree_size, summary.last_verification.intact], [37, 0, 37, true])
})

test('the SDK flow: /ledger?limit=100 + /ledger/checkpoints?limit=24 verify from genesis with more than 24 checkpoints', async (t) => {
  const h = await ledgerHarness(t, { sealBatchSize: 1 })
  await decide(h, 30, h.keys.agent, (i) => ({ amount: i, currency: 'usd' }))
  await sealAll(h)
  const pinned = await jwks(h)
  const { entries } = await getJson(h, '/ledger?limit=100')
  const { checkpoints } = await getJson(h, '/ledger/checkpoints?limit=24')
  assert.equal(checkpoints.length, 24)
  assert.equal(checkpoints[0].checkpoint_id, 1, 'ascending from genesis by default')
  const sdk = verifyLedger(entries.map(sdkView), checkpoints, crypto, { pinnedJwks: pinned })
  assert.equal(sdk.intact, true, sdk.error)
  const newest = await getJson(h, '/ledger/checkpoints?limit=24&order=desc')
  assert.equal(newest.checkpoints[0].checkpoint_id, 30)
  assert.match(verifyLedger(entries, newest.checkpoints, crypto, { pinnedJwks: pinned }).error ?? '', /chain broken/, 'why newest-first is not the default')
  // Paging from a cursor continues the chain; an anchor lets a client verify just the window.
  const next = await getJson(h, `/ledger/checkpoints?limit=24&after=24`)
  assert.equal(next.checkpoints[0].checkpoint_id, 25)
  const windowed = verifyLedger([], next.checkpoints, crypto, { pinnedJwks: pinned, anchorCheckpointHash: checkpoints[23].checkpoint_hash })
  assert.equal(windowed.intact, true, windowed.error)
})

test('snake_case tool args: full rows (view=full) fail the SDK recomputation (spec pitfall), the default redacted rows pass with a note', async (t) => {
  const h = await ledgerHarness(t)
  await decide(h, 3, h.keys.agent, (i) => ({ customer_id: `c${i}` }))
  await sealAll(h)
  const pinned = await jwks(h)
  const { checkpoints } = await getJson(h, '/ledger/checkpoints?limit=24')
  const full = await getJson(h, '/ledger?limit=100&view=full', h.keys.admin)
  assert.equal(verifyLedger(full.entries, checkpoints, crypto, { pinnedJwks: pinned }).intact, true, 'our verifier hashes what is stored')
  assert.match(verifyLedger(full.entries.map(sdkView), checkpoints, crypto, { pinnedJwks: pinned }).error ?? '', /event hash mismatch at seq 1/)
  const redacted = await getJson(h, '/ledger?limit=100&redact=1')
  assert.deepEqual([redacted.entries[0].intent_hash, redacted.entries[0].tool_args], ['', {}])
  assert.deepEqual((await getJson(h, '/ledger?limit=100')).entries, redacted.entries, 'redacted is the default page')
  const agentFull = await call(h.base, 'GET', '/ledger?view=full', { key: h.keys.agent })
  assert.deepEqual([agentFull.status, agentFull.body.code], [403, 'forbidden'], 'agent keys never read full rows')
  assert.equal((await call(h.base, 'GET', '/ledger?view=everything', { key: h.keys.admin })).status, 400)
  const sdk = verifyLedger(redacted.entries.map(sdkView), checkpoints, crypto, { pinnedJwks: pinned })
  assert.equal(sdk.intact, true, sdk.error)
  assert.match(sdk.coverage_note ?? '', /redacted/)
})

test('tenants have separate trees and chains; one never sees another\'s rows or proofs', async (t) => {
  const h = await ledgerHarness(t)
  const aIds = await decide(h, 5)
  const bIds = await decide(h, 3, h.keys.bAgent)
  await sealAll(h)
  const a = await getJson(h, '/ledger?limit=100')
  const b = await getJson(h, '/ledger?limit=100', h.keys.bAgent)
  assert.deepEqual(a.entries.map((e: { request_id: string }) => e.request_id).sort(), [...aIds].sort())
  assert.deepEqual(b.entries.map((e: { request_id: string }) => e.request_id).sort(), [...bIds].sort())
  assert.deepEqual(b.entries.map((e: { seq: number; leaf_index: number }) => [e.seq, e.leaf_index]), [[1, 0], [2, 1], [3, 2]])
  const bCps = (await getJson(h, '/ledger/checkpoints', h.keys.bAgent)).checkpoints
  assert.equal(bCps[0].prev_checkpoint_hash, '')
  assert.equal(bCps[bCps.length - 1].tree_size, 3)
  for (const path of [`/ledger/proof/inclusion?request_id=${aIds[0]}`, `/ledger/proof/bundle?request_id=${aIds[0]}`]) {
    assert.equal((await call(h.base, 'GET', path, { key: h.keys.bAgent })).status, 404, path)
  }
  const aCps = (await getJson(h, '/ledger/checkpoints')).checkpoints
  if (aCps.length > bCps.length) {
    assert.equal((await call(h.base, 'GET', `/ledger/proof/consistency?from=1&to=${aCps.length}`, { key: h.keys.bAgent })).status, 404)
  }
  assert.equal((await getJson(h, '/ledger/verify', h.keys.bAgent)).verified_entries, 3)
  assert.equal((await call(h.base, 'GET', '/ledger')).status, 401, 'no API key, no ledger')
})

test('not sealed yet: proofs answer 404 with Retry-After; after the seal they exist. Bad queries are 400', async (t) => {
  const h = await ledgerHarness(t, { sealIntervalMs: 10_000, sealBatchSize: 1000 })
  const [id] = await decide(h, 1)
  const early = await call(h.base, 'GET', `/ledger/proof/inclusion?request_id=${id}`, { key: h.keys.agent })
  assert.equal(early.status, 404)
  assert.match(early.body.detail, /not sealed/)
  assert.equal(early.headers['retry-after'], '10')
  const row = (await getJson(h, '/ledger')).entries[0]
  assert.deepEqual([row.leaf_index, row.checkpoint_id], [null, null], 'durable, served, not yet sealed')
  assert.equal((await call(h.base, 'GET', '/ledger/proof/bundle?request_id=nope', { key: h.keys.agent })).status, 404)
  await sealAll(h)
  assert.equal((await call(h.base, 'GET', `/ledger/proof/inclusion?request_id=${id}`, { key: h.keys.agent })).status, 200)
  for (const bad of ['/ledger?limit=0', '/ledger?limit=x', '/ledger?order=up', '/ledger/proof/consistency?from=2&to=1', '/ledger/proof/consistency?from=0&to=1', '/ledger/proof/inclusion']) {
    assert.equal((await call(h.base, 'GET', bad, { key: h.keys.agent })).status, 400, bad)
  }
  assert.equal((await call(h.base, 'GET', '/ledger/proof/consistency?from=1&to=9', { key: h.keys.agent })).status, 404)
})

test('paging: next_cursor walks every row once, in both orders', async (t) => {
  const h = await ledgerHarness(t)
  await decide(h, 12)
  for (const order of ['asc', 'desc']) {
    const seen: number[] = []
    let cursor: string | undefined
    for (let i = 0; i < 10; i++) {
      const page = await getJson(h, `/ledger?limit=5&order=${order}${cursor === undefined ? '' : `&cursor=${cursor}`}`)
      seen.push(...page.entries.map((e: { seq: number }) => e.seq))
      cursor = page.next_cursor
      if (cursor === undefined) break
    }
    const expected = Array.from({ length: 12 }, (_, i) => i + 1)
    assert.deepEqual(seen, order === 'asc' ? expected : expected.reverse(), order)
  }
})

test('ledger.encryption_key: bodies are AES-GCM ciphertext at rest, plaintext on /ledger?view=full, and verify intact', async (t) => {
  const key = 'a'.repeat(64)
  const h = await ledgerHarness(t, { encryptionKey: key })
  const ids = await decide(h, 4, h.keys.agent, (i) => ({ secret_note: `card-4242-${i}` }))
  await decide(h, 2, h.keys.bAgent)
  await sealAll(h)
  const db = openRetainedDatabase(join(h.dataDir, 'vault.db'), { readonly: true })
  t.after(() => db.close())
  const raw = db.prepare('SELECT tool_args, body_cipher FROM decision_events').all() as Array<{ tool_args: string; body_cipher: Buffer | null }>
  assert.equal(raw.length, 6)
  for (const r of raw) {
    assert.equal(r.tool_args, '{}')
    assert.ok(r.body_cipher !== null && !r.body_cipher.toString('latin1').includes('card-4242'))
  }
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM ledger_data_keys').get() as { n: number }).n, 2, 'one data key per tenant')
  const { entries } = await getJson(h, '/ledger?view=full', h.keys.reviewer)
  assert.equal(entries[0].tool_args.secret_note, 'card-4242-0')
  assert.equal((await getJson(h, '/ledger/verify')).intact, true)
  const bundle = await getJson(h, `/ledger/proof/bundle?request_id=${ids[0]}`, h.keys.admin)
  assert.equal(verifyProofBundle(bundle, crypto, { pinnedJwks: await jwks(h), requireEventBody: true }).intact, true)
})
