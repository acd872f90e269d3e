// Issue 16 §1: full ledger rows (caller tool_args, reasons, evidence) are for the tenant's auditors —
// reviewer- and admin-role keys — and the client's default reads stay verifiable with every key
// (docs/design/ledger-views.md). The redacted /ledger page lists every request id to an agent key, so
// no other read may hand that key the body behind an id: not view=full, not /ledger/encrypted, and not
// a proof bundle (which used to carry the full, even decrypted-at-rest, event for any key). An agent
// key's bundle carries the event redacted, and the real client's verifyLedgerProofBundle (re-implemented
// in test/helpers/ledgix-client.ts) still reports it intact; auditors' bundles stay full and pass our
// strict verifier.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nodeLedgerCrypto, verifyProofBundle } from '../../src/ledger/index.ts'
import { clientVerifyLedgerProofBundle } from '../helpers/ledgix-client.ts'
import { skipWithoutVectors } from '../helpers/vectors.ts'
import { getJson, jwks, ledgerHarness, sealAll } from '../ledger/ledger-harness.ts'
import { call } from '../vault/helpers.ts'

const SECRET = 'card-4242-secret-note'

for (const encrypted of [false, true]) {
  test(`an agent key reads no ledger body through any read, the client still verifies its bundle (${encrypted ? 'encrypted at rest' : 'plain store'})`, { skip: skipWithoutVectors }, async (t) => {
    const h = await ledgerHarness(t, encrypted ? { encryptionKey: Buffer.alloc(32, 7).toString('base64') } : {})
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const res = await call(h.base, 'POST', '/request-clearance', {
        key: h.keys.agent,
        body: { tool_name: i % 3 === 2 ? 'stripe_refund' : 'ping', tool_args: { customer_id: `cus_${i}`, secret_note: `${SECRET}-${i}`, line_items: [{ sku_id: 'a' }] }, agent_id: `agent-${i % 2}` },
      })
      assert.equal(res.status, 200, res.text)
      ids.push(res.body.request_id as string)
    }
    await sealAll(h)
    const pinned = await jwks(h)

    const page = await call(h.base, 'GET', '/ledger?limit=100', { key: h.keys.agent })
    assert.equal(page.status, 200)
    assert.ok(!page.text.includes(SECRET), 'the default page is redacted')
    assert.equal((await call(h.base, 'GET', '/ledger?view=full', { key: h.keys.agent })).status, 403)
    assert.equal((await call(h.base, 'GET', '/ledger/encrypted', { key: h.keys.agent })).status, 403)

    for (const id of ids) {
      const q = `/ledger/proof/bundle?request_id=${encodeURIComponent(id)}`
      const agent = await call(h.base, 'GET', q, { key: h.keys.agent })
      assert.equal(agent.status, 200, agent.text)
      assert.ok(!agent.text.includes(SECRET), `an agent key's bundle does not carry the body: ${agent.text.slice(0, 400)}`)
      assert.deepEqual([agent.body.event.intent_hash, agent.body.event.tool_args, agent.body.event.reason, agent.body.event.citations, agent.body.event.evidence_chunks], ['', {}, '', [], []])
      assert.equal(clientVerifyLedgerProofBundle(agent.body, pinned).intact, true, 'the real client verifies the redacted bundle')
      const ours = verifyProofBundle(agent.body, nodeLedgerCrypto, { pinnedJwks: pinned })
      assert.equal(ours.intact, true, ours.error)
      assert.match(ours.coverage_note ?? '', /redacted/, 'our verifier says what a redacted event does not prove')

      for (const key of [h.keys.reviewer, h.keys.admin]) {
        const full = await getJson(h, q, key)
        assert.match(String(full.event.tool_args.secret_note), new RegExp(SECRET), 'auditors read the full event')
        assert.equal(verifyProofBundle(full, nodeLedgerCrypto, { pinnedJwks: pinned, requireEventBody: true }).intact, true)
        assert.equal(clientVerifyLedgerProofBundle(full, pinned).intact, true)
        // Same proof either way: only the event body differs.
        assert.deepEqual([full.inclusion, full.consistency, full.keys, full.event.event_hash], [agent.body.inclusion, agent.body.consistency, agent.body.keys, agent.body.event.event_hash])
      }
    }
  })
}
