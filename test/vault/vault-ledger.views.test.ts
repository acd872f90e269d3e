// Issue 16: who reads which ledger rows (docs/design/ledger-views.md). The default page is redacted
// for every key; full rows need a reviewer or admin key; GET /ledger/encrypted serves redacted rows with
// their at-rest ciphertext, which the holder of ledger.encryption_key opens offline and re-hashes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createDecipheriv } from 'node:crypto'
import { join } from 'node:path'
import { computeEventHash, nodeLedgerCrypto, parseLedgerEntry } from '../../src/ledger/index.ts'
import { openRetainedDatabase } from '../../src/store/index.ts'
import { call } from './helpers.ts'
import { decide, getJson, ledgerHarness, sealAll } from '../ledger/ledger-harness.ts'

const KEK_HEX = 'b'.repeat(64)

/** Opens the documented envelope: 0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16), AES-256-GCM with AAD. */
function open(key: Buffer, aad: string, b64: string): Buffer {
  const env = Buffer.from(b64, 'base64url')
  assert.equal(env[0], 1)
  const d = createDecipheriv('aes-256-gcm', key, env.subarray(1, 13))
  d.setAAD(Buffer.from(aad, 'utf8'))
  d.setAuthTag(env.subarray(env.length - 16))
  return Buffer.concat([d.update(env.subarray(13, env.length - 16)), d.final()])
}

test('views by role: redacted by default for every key, full rows for reviewer/admin only, bad views refused', async (t) => {
  const h = await ledgerHarness(t)
  await decide(h, 4, h.keys.agent, (i) => ({ customer_id: `cus_${i}`, amount: i }))
  await sealAll(h)
  for (const key of [h.keys.agent, h.keys.reviewer, h.keys.admin]) {
    for (const e of (await getJson(h, '/ledger', key)).entries) assert.deepEqual([e.intent_hash, e.tool_args, e.reason, e.citations, e.evidence_chunks], ['', {}, '', [], []])
  }
  for (const key of [h.keys.reviewer, h.keys.admin]) {
    const full = await getJson(h, '/ledger?view=full', key)
    assert.equal(full.entries[0].tool_args.customer_id, 'cus_0')
    assert.match(full.entries[0].intent_hash, /^[0-9a-f]{64}$/)
  }
  for (const path of ['/ledger?view=full', '/ledger/encrypted']) {
    const res = await call(h.base, 'GET', path, { key: h.keys.agent })
    assert.deepEqual([res.status, res.body.code], [403, 'forbidden'], path)
    assert.doesNotMatch(res.text, /cus_0/)
  }
  assert.equal((await call(h.base, 'GET', '/ledger?view=full&redact=1', { key: h.keys.admin })).status, 400)
  const plain = await call(h.base, 'GET', '/ledger/encrypted', { key: h.keys.admin })
  assert.deepEqual([plain.status, plain.body.code], [404, 'not_found'], 'no encryption at rest, nothing to export encrypted')
  assert.equal((await call(h.base, 'GET', '/ledger?view=full', { key: h.keys.bAdmin })).body.entries.length, 0, 'another tenant sees none of it')
})

test('GET /ledger/encrypted: client-parsable redacted rows whose ciphertext the key holder opens and re-hashes to event_hash', async (t) => {
  const h = await ledgerHarness(t, { encryptionKey: KEK_HEX })
  await decide(h, 6, h.keys.agent, (i) => ({ customer_id: `cus_${i}`, payment_method_id: 'pm_1', nested: { line_items: [{ sku_id: i }] } }))
  await sealAll(h)
  const page = await getJson(h, '/ledger/encrypted?limit=100', h.keys.reviewer)
  const full = (await getJson(h, '/ledger?view=full&limit=100', h.keys.admin)).entries
  assert.equal(page.entries.length, 6)
  assert.equal(page.encryption.tenant_id, h.tenantA)
  const kek = Buffer.from(KEK_HEX, 'hex')
  const dataKey = open(kek, `ledgix.ledger.data-key.v1\u0000${h.tenantA}`, page.encryption.wrapped_data_key)
  for (const [i, e] of page.entries.entries()) {
    assert.ok(parseLedgerEntry(e).ok, 'still a LedgerEntry the client parses')
    assert.deepEqual([e.intent_hash, e.tool_args], ['', {}], 'redacted to the client')
    assert.doesNotMatch(JSON.stringify(e), /cus_/)
    const body = JSON.parse(open(dataKey, `ledgix.ledger.body.v1\u0000${h.tenantA}\u0000${e.event_uuid}`, e.encrypted_body).toString('utf8'))
    const restored = {
      ...e, intent_hash: e.sealed_intent_hash, tool_args: JSON.parse(body.toolArgsJson), reason: body.reason,
      citations: JSON.parse(body.citationsJson), evidence_chunks: JSON.parse(body.evidenceChunksJson),
    }
    assert.equal(computeEventHash(restored, nodeLedgerCrypto), e.event_hash, `row ${e.seq} re-hashes`)
    assert.deepEqual(restored.tool_args, full[i].tool_args)
    assert.equal(restored.intent_hash, full[i].intent_hash)
  }
  // A wrong key does not open the data key (GCM authenticates).
  assert.throws(() => open(Buffer.alloc(32, 1), `ledgix.ledger.data-key.v1\u0000${h.tenantA}`, page.encryption.wrapped_data_key))
})

test('a row whose body cannot be read: in the first piece a 500 problem, later in the page an aborted stream, never a hang', async (t) => {
  const h = await ledgerHarness(t, { encryptionKey: KEK_HEX })
  await decide(h, 20, h.keys.agent)
  await sealAll(h)
  const db = openRetainedDatabase(join(h.dataDir, 'vault.db'))
  t.after(() => db.close())
  const damage = (seq: number): void => {
    db.prepare("UPDATE decision_events SET body_cipher = x'01000000000000000000000000deadbeef00000000000000000000000000000000' WHERE tenant_id = ? AND tenant_seq = ?").run(h.tenantA, seq)
  }
  damage(15)
  const late = await call(h.base, 'GET', '/ledger?view=full&limit=100', { key: h.keys.admin }).then(
    (r) => ({ ok: true as const, status: r.status, text: r.text }),
    (err: Error) => ({ ok: false as const, message: err.message }),
  )
  assert.equal(late.ok, false, 'the connection is cut (unterminated chunked body), never a complete-looking page')
  assert.equal((await call(h.base, 'GET', '/ledger?view=full&limit=10', { key: h.keys.admin })).status, 200, 'rows before the damage still read')
  assert.equal((await call(h.base, 'GET', '/ledger?limit=100', { key: h.keys.agent })).status, 200, 'redacted rows never open the body')
  damage(1)
  const early = await call(h.base, 'GET', '/ledger?view=full&limit=100', { key: h.keys.admin })
  assert.deepEqual([early.status, early.body.code], [500, 'internal_error'])
})
