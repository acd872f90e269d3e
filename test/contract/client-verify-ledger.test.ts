// Issue 16 §1: the real client's verifyLedgerProof reports intact over a ledger of realistic payment
// calls. test/helpers/ledgix-client.ts re-implements the client's fetchLedger() + verifyLedgerProof()
// from spec §7.8 (camelCasing nested keys before recomputing, zod-like parse of the page); first it is
// checked against the verdicts the real client gave on the vectors, then run against a real Vault:
// the default (redacted) page verifies intact with its coverage note, the full view does NOT (the
// reason the redaction exists) while our own verifiers accept the full rows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nodeLedgerCrypto, verifyLedger, verifyProofBundle } from '../../src/ledger/index.ts'
import {
  ClientParseError,
  ClientVerificationError,
  clientParseCheckpoints,
  clientParseLedger,
  clientVerifyLedgerProof,
} from '../helpers/ledgix-client.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { getJson, jwks, ledgerHarness, sealAll } from '../ledger/ledger-harness.ts'
import { call } from '../vault/helpers.ts'
import type { Harness } from '../vault/helpers.ts'

type Obj = Record<string, any>
const clone = <T>(v: T): T => structuredClone(v)

function verdict(entriesBody: unknown, checkpointsBody: unknown, jwksDoc: unknown): { ok: true; result: Obj } | { ok: false; message: string } {
  try {
    return { ok: true, result: clientVerifyLedgerProof(clientParseLedger(entriesBody), clientParseCheckpoints(checkpointsBody), jwksDoc) }
  } catch (err) {
    if (err instanceof ClientVerificationError || err instanceof ClientParseError) return { ok: false, message: err.message }
    throw err
  }
}

test('the re-implemented client reproduces the real client\'s verdicts on the vectors', { skip: skipWithoutVectors }, () => {
  const chain = loadVector<Obj>('ledger-chain.json')
  const r = chain.http_responses
  const [page, cps, keys] = [r['GET /ledger?limit=100'], r['GET /ledger/checkpoints?limit=24'], r['GET /.well-known/jwks.json']]
  const whole = verdict(page, cps, keys)
  assert.deepEqual(whole, { ok: true, result: Object.fromEntries(Object.entries(chain.sdk_verdict.result).filter(([k]) => !k.includes('Manifest'))) })
  const check = (name: string): Obj => chain.chain_checks.find((c: Obj) => c.name === name).sdk_verdict
  assert.deepEqual(verdict(page, { checkpoints: cps.checkpoints.slice(1) }, keys), { ok: false, message: check('latest_two_checkpoints_only').message })
  const subset = verdict({ entries: page.entries.slice(0, 5) }, cps, keys)
  assert.equal(subset.ok && subset.result.coverageNote, check('entries_subset').result.coverageNote)
  const changed = clone(page)
  changed.entries[1].tool_args.amount = 1_000_000
  assert.deepEqual(verdict(changed, cps, keys), { ok: false, message: check('entry_tool_args_changed').message })
  const lower = clone(page)
  lower.entries[0].receipt_algorithm = 'ed25519'
  assert.deepEqual(verdict(lower, cps, keys), { ok: false, message: check('receipt_algorithm_other').message })
  // The three server pitfalls: snake_case nested keys (full row fails, redacted passes), omitted fields.
  const events = loadVector<Obj>('ledger-events.json')
  const none = { checkpoints: [] }
  for (const p of events.pitfalls as Obj[]) {
    const got = verdict({ entries: [p.served_wire_entry] }, none, keys)
    const sdk = p.sdk_fetch_then_verify
    if (sdk.ok) assert.deepEqual(got, { ok: true, result: Object.fromEntries(Object.entries(sdk.result).filter(([k]) => !k.includes('Manifest'))) }, p.name)
    else assert.deepEqual(got, { ok: false, message: sdk.message }, p.name)
  }
  // A served "" where the client expects an enum or null is a parse error for the whole page.
  const empty = clone(page)
  empty.entries[0].classifier_confidence_bucket = ''
  assert.equal(verdict(empty, cps, keys).ok, false)
})

/** Realistic payment calls: multi-word keys, nested objects, arrays, mixed number types. */
function paymentArgs(i: number): object {
  return {
    amount: 49.99 + i, currency: 'usd', customer_id: `cus_${1000 + i}`, payment_method_id: `pm_card_${4242 + i}`,
    metadata: { order_id: `ord_${i}`, billing_address: { postal_code: '94107', country_code: 'US' } },
    line_items: [{ sku_id: 'sku_1', unit_amount: 1999, qty: 2 }, { sku_id: 'sku_2', unit_amount: 1, qty: 1 }],
    idempotency_key: `idem-${i}`, capture_method: 'automatic',
  }
}

async function payments(h: Harness, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const tool = i % 7 === 6 ? 'stripe_refund' : 'create_stripe_payment'
    const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: tool, tool_args: paymentArgs(i), agent_id: 'payments-agent' } })
    assert.equal(res.status, 200, res.text)
    ids.push(res.body.request_id as string)
  }
  return ids
}

test('realistic payment calls: the client\'s verifyLedgerProof is intact on the default page, fails on the full view; ours passes both', { skip: skipWithoutVectors }, async (t) => {
  const h = await ledgerHarness(t)
  const ids = await payments(h, 30)
  await sealAll(h)
  const pinned = await jwks(h)
  const cps = await getJson(h, '/ledger/checkpoints?limit=24')
  const page = await getJson(h, '/ledger?limit=100')
  const client = verdict(page, cps, pinned)
  assert.equal(client.ok, true, client.ok ? '' : client.message)
  assert.equal(client.ok && client.result.verifiedEntries, 30)
  assert.match(client.ok ? client.result.coverageNote : '', /skipped for 30 redacted public ledger entries/, 'the client says what it did not cover')
  for (const e of page.entries) assert.deepEqual([e.intent_hash, e.tool_args, e.citations, e.evidence_chunks], ['', {}, [], []])

  const full = await getJson(h, '/ledger?limit=100&view=full', h.keys.reviewer)
  assert.equal(full.entries[0].tool_args.customer_id, 'cus_1000')
  assert.deepEqual(verdict(full, cps, pinned), { ok: false, message: 'Ledger event hash mismatch at seq 1' }, 'the spec §7.2 pitfall: why the default page is redacted')
  const ours = verifyLedger(full.entries, cps.checkpoints, nodeLedgerCrypto, { pinnedJwks: pinned })
  assert.deepEqual([ours.intact, ours.error, ours.coverage_note, ours.verified_entries], [true, undefined, undefined, 30], 'our verifier recomputes every full row')
  const server = await getJson(h, '/ledger/verify')
  assert.deepEqual([server.intact, server.verified_entries], [true, 30])
  // Auditors' bundles carry the full event (the seed: "the full event record"); the client's bundle
  // verifier does not recompute it, ours does and stays strict.
  for (const id of ids.slice(0, 4)) {
    const bundle = await getJson(h, `/ledger/proof/bundle?request_id=${id}`, h.keys.reviewer)
    assert.equal(bundle.event.tool_args.payment_method_id !== undefined, true)
    const strict = verifyProofBundle(bundle, nodeLedgerCrypto, { pinnedJwks: pinned, requireEventBody: true })
    assert.equal(strict.intact, true, strict.error)
    const tampered = clone(bundle)
    tampered.event.tool_args.amount = 1
    assert.equal(verifyProofBundle(tampered, nodeLedgerCrypto, { pinnedJwks: pinned }).intact, false, 'a changed argument fails our bundle check')
  }
})

test('the client\'s documented flow (checkpoints?limit=24) verifies with more than 24 checkpoints; newest-first would break its chain', { skip: skipWithoutVectors }, async (t) => {
  const h = await ledgerHarness(t, { sealBatchSize: 1 })
  await payments(h, 30)
  await sealAll(h)
  const pinned = await jwks(h)
  const cps = await getJson(h, '/ledger/checkpoints?limit=24')
  assert.equal(cps.checkpoints.length, 24)
  const ok = verdict(await getJson(h, '/ledger?limit=100'), cps, pinned)
  assert.equal(ok.ok, true, ok.ok ? '' : ok.message)
  assert.match(ok.ok ? ok.result.coverageNote : '', /redacted public ledger entries.*Provided 30 sequenced entries for tree size 24/)
  const newest = await getJson(h, '/ledger/checkpoints?limit=24&order=desc')
  assert.deepEqual(verdict({ entries: [] }, newest, pinned), { ok: false, message: 'Ledger checkpoint chain broken at checkpoint 7' })
})
