// Issue 16 §1, property-based: whatever arguments an agent sends (generated objects: snake_case,
// camelCase, mixed and unicode keys — astral, CJK, accents, emoji —, nested objects, arrays of objects,
// finite doubles, safe and large integers, unicode strings, booleans, null), the real client's flow
// over a real Vault reports intact: fetchLedger() + fetchLedgerCheckpoints() + verifyLedgerProof() with
// an agent key and with a reviewer key, and fetchLedgerProofBundle() + verifyLedgerProofBundle() for
// every request (test/helpers/ledgix-client.ts, from spec §7.8) — an agent key's bundle without the
// arguments, a reviewer's with them —; and our own verifier re-hashes every full row intact. Bounded: 5 runs of up to 6 clearances on one Vault, one client page.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { nodeLedgerCrypto, verifyLedger } from '../../src/ledger/index.ts'
import { clientParseCheckpoints, clientParseLedger, clientVerifyLedgerProof, clientVerifyLedgerProofBundle } from '../helpers/ledgix-client.ts'
import { skipWithoutVectors } from '../helpers/vectors.ts'
import { getJson, jwks, ledgerHarness, sealAll } from '../ledger/ledger-harness.ts'
import { call } from '../vault/helpers.ts'

const word = fc.constantFrom('customer', 'id', 'amount', 'line', 'items', 'sku', 'billing', 'address', 'meta', 'x', 'Z', 'é', '東京', '𝒳', '☕', '2')
const key = fc.oneof(
  fc.array(word, { minLength: 1, maxLength: 3 }).chain((ws) => fc.constantFrom(ws.join('_'), ws.join(''), ws.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join(''), `_${ws.join('_')}`)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
)
const scalar = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 1, 249.99, 100.5, 1e21, 1e-7, 12_345_678.9),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
)
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.dictionary(key, tie('value'), { maxKeys: 3 }), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}))
const args = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 })

test('generated arguments: the client\'s verifyLedgerProof and verifyLedgerProofBundle report intact, ours re-hashes every full row', { skip: skipWithoutVectors }, async (t) => {
  const h = await ledgerHarness(t)
  let total = 0
  await fc.assert(
    fc.asyncProperty(fc.array(args, { minLength: 1, maxLength: 6 }), async (batch) => {
      const ids: string[] = []
      for (const toolArgs of batch) {
        const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping', tool_args: toolArgs, agent_id: 'agent-1' } })
        assert.equal(res.status, 200, `${JSON.stringify(toolArgs)} → ${res.text}`)
        ids.push(res.body.request_id as string)
      }
      total += ids.length
      await sealAll(h)
      const keys = await jwks(h)
      for (const k of [h.keys.agent, h.keys.reviewer]) {
        const page = await getJson(h, '/ledger?limit=100', k)
        const result = clientVerifyLedgerProof(clientParseLedger(page), clientParseCheckpoints(await getJson(h, '/ledger/checkpoints?limit=24', k)), keys)
        assert.equal(result.intact && result.verifiedEntries, total)
        for (const id of ids) {
          const bundle = await getJson(h, `/ledger/proof/bundle?request_id=${id}`, k)
          assert.equal(clientVerifyLedgerProofBundle(bundle, keys).intact, true)
          // Only auditors' bundles carry the arguments (docs/design/ledger-views.md decision 5).
          assert.deepEqual(bundle.event.tool_args, k === h.keys.agent ? {} : JSON.parse(JSON.stringify(batch[ids.indexOf(id)])))
        }
      }
      const full = await getJson(h, '/ledger?limit=100&view=full', h.keys.reviewer)
      const ours = verifyLedger(full.entries, (await getJson(h, '/ledger/checkpoints?limit=100')).checkpoints, nodeLedgerCrypto, { pinnedJwks: keys })
      assert.deepEqual([ours.intact, ours.error, ours.verified_entries], [true, undefined, total])
    }),
    { numRuns: 5, endOnFailure: true },
  )
  assert.ok(total >= 5 && total <= 30)
})
