// Issue 16 §1, the client's side of every ledger read: test/helpers/ledgix-client.ts re-implements
// (from spec §7.6-§7.8, not from our src/ledger) fetchLedger / fetchLedgerCheckpoints /
// fetchLedgerInclusionProof / fetchLedgerConsistencyProof / fetchLedgerProofBundle and the two
// verifiers. First each piece reproduces the real client's verdicts on the vectors; then a real Vault
// makes every kind of ledger row (rule allow / deny / review, judge, default deny, lockdown deny,
// reviewed approve / deny, cancelled, expired, mint, drift lockdown / release / settings, report
// settings and report generated, across a signing-key rotation) from realistic payment calls, and the
// client reads and verifies all of it with an agent key, a reviewer key and an admin key; every body
// also passes the client's schemas under strict Ajv, on every page shape (empty, first, cursor, last,
// limit bounds, byte-cut).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import { ManualClock } from '../../src/core/index.ts'
import { nodeLedgerCrypto, verifyLedger } from '../../src/ledger/index.ts'
import { expireReviews } from '../../src/vault/reviews.ts'
import { ledgerPageStream } from '../../src/vault/routes/ledger-page.ts'
import type { TenantId } from '../../src/core/index.ts'
import {
  ClientParseError,
  ClientVerificationError,
  camelKeys,
  clientConsistencyOk,
  clientInclusionOk,
  clientParse,
  clientParseCheckpoints,
  clientParseLedger,
  clientVerifyLedgerProof,
  clientVerifyLedgerProofBundle,
} from '../helpers/ledgix-client.ts'
import { standInJudge } from '../helpers/stand-in-judge.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { FAST_LEDGER } from '../ledger/ledger-harness.ts'
import { ADMIN_KEY, PAYMENTS_POLICY, call, startHarness } from '../vault/helpers.ts'
import type { Harness } from '../vault/helpers.ts'

type Obj = Record<string, any>
const clone = <T>(v: T): T => structuredClone(v)

function outcome(run: () => Obj): { ok: true; result: Obj } | { ok: false; message: string } {
  try {
    return { ok: true, result: run() }
  } catch (err) {
    if (err instanceof ClientVerificationError || err instanceof ClientParseError) return { ok: false, message: err.message }
    throw err
  }
}

const withoutManifest = (r: Obj): Obj => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('Manifest')))

test('the client\'s key rewrite is spec §1\'s exactly: `_x` for a lowercase letter x, objects in arrays, not arrays of arrays', () => {
  assert.deepEqual(camelKeys({ customer_id: 1, address_line_2: 'b', tax_ID: 2, _private: 3, items: [{ sku_id: 'a' }, [{ sku_id: 'b' }], 'c_d'], meta: { order_id: { line_items: null } } }),
    { customerId: 1, addressLine_2: 'b', tax_ID: 2, Private: 3, items: [{ skuId: 'a' }, [{ sku_id: 'b' }], 'c_d'], meta: { orderId: { lineItems: null } } })
})

test('the re-implemented bundle verifier and proof checks reproduce the real client\'s verdicts on the vectors', { skip: skipWithoutVectors }, () => {
  const pb = loadVector<Obj>('proof-bundle.json')
  const keys = pb.jwks
  assert.deepEqual(outcome(() => clientVerifyLedgerProofBundle(pb.bundle_wire, keys)), { ok: true, result: withoutManifest(pb.sdk_verdict.result) })
  const alone = pb.bundle_without_consistency
  assert.deepEqual(outcome(() => clientVerifyLedgerProofBundle(alone.bundle_wire, keys)), { ok: true, result: withoutManifest(alone.sdk_verdict) })
  assert.equal(pb.tampered.length, 14)
  for (const t of pb.tampered as Obj[]) {
    const got = outcome(() => clientVerifyLedgerProofBundle(t.bundle, keys))
    const sdk = t.sdk_verdict
    if (sdk.accepted) assert.deepEqual(got, { ok: true, result: withoutManifest(sdk.result) }, t.name)
    else assert.deepEqual(got, { ok: false, message: sdk.message }, t.name)
  }
  // The bare endpoints' bodies.
  const inc = clientParse('InclusionProof', pb.inclusion_proof_wire)
  assert.equal(clientInclusionOk(inc.leafHash, inc.leafIndex, inc.treeSize, inc.path, inc.checkpoint.rootHash), pb.endpoint_checks.inclusion_verifies)
  const con = clientParse('ConsistencyProof', pb.consistency_proof_wire)
  assert.equal(clientConsistencyOk(con.fromCheckpoint.treeSize, con.toCheckpoint.treeSize, con.fromCheckpoint.rootHash, con.toCheckpoint.rootHash, con.path), pb.endpoint_checks.consistency_verifies)

  // Every Merkle vector (45 inclusion, 45 consistency, 14 negative) with the SDK's verdict.
  const m = loadVector<Obj>('merkle.json')
  let n = 0
  for (const p of m.inclusion_proofs as Obj[]) {
    assert.equal(clientInclusionOk(p.leaf_hash, p.leaf_index, p.tree_size, p.path, p.root_hash), p.sdk_verdict, `inclusion ${p.leaf_index}/${p.tree_size}`)
    n++
  }
  for (const p of m.consistency_proofs as Obj[]) {
    assert.equal(clientConsistencyOk(p.first_size, p.second_size, p.first_root, p.second_root, p.path), p.sdk_verdict, `consistency ${p.first_size}→${p.second_size}`)
    n++
  }
  for (const p of m.negative_cases as Obj[]) {
    const got = p.kind === 'inclusion'
      ? clientInclusionOk(p.leaf_hash, p.leaf_index, p.tree_size, p.path, p.root_hash)
      : clientConsistencyOk(p.first_size, p.second_size, p.first_root, p.second_root, p.path)
    assert.equal(got, p.sdk_verdict, p.name)
    n++
  }
  assert.equal(n, 104)
  assert.throws(() => clientConsistencyOk(0, m.sdk_hang_case.second_size, '', m.roots['5'], m.sdk_hang_case.path), /never returns/)

  // The two chain checks client-verify-ledger.test.ts does not replay.
  const chain = loadVector<Obj>('ledger-chain.json')
  const r = chain.http_responses
  const [page, cps, jwksDoc] = [r['GET /ledger?limit=100'], r['GET /ledger/checkpoints?limit=24'], r['GET /.well-known/jwks.json']]
  const check = (name: string): Obj => chain.chain_checks.find((c: Obj) => c.name === name).sdk_verdict
  const verify = (p: unknown, c: unknown) => outcome(() => clientVerifyLedgerProof(clientParseLedger(p), clientParseCheckpoints(c), jwksDoc) as unknown as Obj)
  const prevBroken = clone(cps)
  prevBroken.checkpoints[2].prev_checkpoint_hash = 'ab'.repeat(32)
  assert.deepEqual(verify(page, prevBroken), { ok: false, message: check('chain_prev_hash_broken').message })
  const hashChanged = clone(cps)
  hashChanged.checkpoints[0].checkpoint_hash = 'cd'.repeat(32)
  assert.deepEqual(verify(page, hashChanged), { ok: false, message: check('checkpoint_hash_changed').message })
})

// ---- A real Vault -------------------------------------------------------------------------------

/** The client's models under strict Ajv on the wire names (plus the two list envelopes). */
function strictValidators(): Record<string, ValidateFunction> {
  const { schemas } = loadVector<{ schemas: Record<string, Obj> }>('client-schemas.json')
  // strict: unknown keywords, ignored defaults and the like are errors; union types are the
  // schemas' own ("type": ["string", "null"]).
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true })
  const out: Record<string, ValidateFunction> = {}
  for (const [name, s] of Object.entries(schemas)) out[name] = ajv.compile(s)
  const bare = (name: string): Obj => {
    const { $schema: _drop, ...rest } = schemas[name]!
    return rest
  }
  out.LedgerPage = ajv.compile({ type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: bare('LedgerEntry') } } })
  out.CheckpointList = ajv.compile({ type: 'object', required: ['checkpoints'], properties: { checkpoints: { type: 'array', items: bare('LedgerCheckpoint') } } })
  return out
}

/**
 * Realistic payment calls: multi-word keys at every depth, arrays of objects, unicode (accents,
 * CJK, emoji, an astral-plane key), amounts in minor units beyond 2^32 and decimals, booleans, null.
 */
function paymentArgs(i: number, amount: number): Obj {
  return {
    amount, amount_minor: Math.round(amount * 100), currency: i % 2 === 0 ? 'eur' : 'jpy', customer_id: `cus_${7000 + i}`,
    payment_method_id: `pm_card_${4242 + i}`, statement_descriptor: 'Café Zürich – 東京店 ☕',
    metadata: { order_id: `ord_${i}`, billing_address: { postal_code: '8001', country_code: 'CH', line_1: 'Bahnhofstraße 1' }, '𝒳_tag': 'astral', gift_wrap: false, coupon_code: null },
    line_items: [{ sku_id: 'sku_espresso', unit_amount: 350, qty: 2, tax_rates: [{ tax_rate_id: 'txr_1', percentage: 7.7 }] }, { sku_id: 'sku_ümlaut', unit_amount: 1, qty: 1 }],
    ledger_total_minor: 9_007_199_254_740_991 - i, fx_rate: 0.000123456789, idempotency_key: `idem-${i}-ü`,
  }
}

const NL_POLICY = { policy_id: 'payments-nl', description: 'NL', rules: ['Payments must be tied to a valid order event.'], tools: ['create_order_payment'] }

const AGENT = 'payments-agent'

function pay(i: number, amount: number): Obj {
  return { tool_name: 'create_stripe_payment', tool_args: paymentArgs(i, amount), agent_id: AGENT, session_id: `checkout-${i}`, context: { policy_id: 'payments-prod' } }
}

/** Every kind of row the Vault appends, from realistic calls; returns the request ids made. */
async function everyRowKind(h: Harness, v: Record<string, ValidateFunction>, clock: ManualClock, judge: Awaited<ReturnType<typeof standInJudge>>): Promise<string[]> {
  const ids: string[] = []
  const valid = (model: string, body: unknown, where: string): void => assert.ok(v[model]!(body), `${where} (${model}): ${JSON.stringify(v[model]!.errors?.slice(0, 5))}`)
  const clear = async (body: Obj, expected: string, key = h.keys.agent): Promise<Obj> => {
    const res = await call(h.base, 'POST', '/request-clearance', { key, body })
    assert.equal(res.status, 200, res.text)
    valid('ClearanceResponse', res.body, `clearance ${body.tool_name}`)
    clientParse('ClearanceResponse', res.body)
    assert.equal(res.body.status, expected, res.text)
    ids.push(res.body.request_id)
    return res.body
  }
  for (const policy of [PAYMENTS_POLICY, NL_POLICY]) {
    const res = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: policy })
    valid('PolicyRegistrationResponse', res.body, 'register-policy')
    clientParse('PolicyRegistrationResponse', res.body)
  }
  const allowed = await clear(pay(0, 249.99), 'approved')
  await clear(pay(1, 999.5), 'approved')
  await clear({ tool_name: 'stripe_refund', tool_args: { charge_id: 'ch_3Pxyz', amount: 45, refund_reason: 'requested_by_customer', line_items: [{ unit_price: 45 }] }, agent_id: AGENT }, 'denied')
  await clear({ tool_name: 'delete_customer', tool_args: { customer_id: 'cus_1', hard_delete: true }, agent_id: AGENT }, 'denied')
  const nl = (i: number): Obj => ({ tool_name: 'create_order_payment', tool_args: { amount: 249.99 + i, order_event_id: `ord_evt_${2048 + i}`, customer_note: 'bitte schnell – 急ぎ' }, agent_id: AGENT, context: { policy_id: 'payments-nl' } })
  judge.next('allow', 0.95)
  await clear(nl(0), 'approved')
  judge.next('deny', 0.9)
  await clear(nl(1), 'denied')
  judge.next('allow', 0.6)
  await clear(nl(2), 'pending_review')
  const reviews: string[] = []
  for (const [i, amount] of [[10, 5000], [11, 6000.01], [12, 12_345_678.9], [13, 8000]] as const) reviews.push((await clear(pay(i, amount), 'pending_review')).request_id)
  const decide = async (id: string, key: string, body: Obj): Promise<void> => {
    const res = await call(h.base, 'POST', `/reviews/${id}/decision`, { key, body })
    assert.equal(res.status, 200, res.text)
    valid('ClearanceResponse', res.body, 'review decision')
  }
  await decide(reviews[0]!, h.keys.reviewer, { approved: true, review_reason: 'ok ✓', reviewer_email: 'ops@example.com' })
  await decide(reviews[1]!, h.keys.reviewer, { approved: false, review_reason: 'nein' })
  await decide(reviews[2]!, h.keys.agent, { approved: false, review_reason: 'cancelled by agent' })
  // A signing-key rotation in the middle: receipts and checkpoints after it use the new key.
  assert.equal((await call(h.base, 'POST', '/admin/keys/rotate', { headers: { 'x-admin-api-key': ADMIN_KEY } })).status, 200)
  clock.advance(61_000)
  assert.ok((await expireReviews(h.server.context, clock.now())) >= 2, 'review 4 and the judge\'s review expire')
  for (const id of ids) {
    const res = await call(h.base, 'GET', `/clearance-status/${encodeURIComponent(id)}`, { key: h.keys.agent })
    valid('ClearanceResponse', res.body, `clearance-status ${id}`)
    clientParse('ClearanceResponse', res.body)
  }
  assert.equal((await call(h.base, 'POST', `/drift/agents/${AGENT}/lockdown`, { key: h.keys.reviewer, body: { reason: 'contract test – Sperre' } })).status, 200)
  await clear(pay(20, 45), 'denied')
  assert.equal((await call(h.base, 'DELETE', `/drift/agents/${AGENT}/lockdown`, { key: h.keys.reviewer, body: { reason: 'over' } })).status, 200)
  assert.equal((await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: { enabled: true } })).status, 200)
  const rs = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { sample_size: 5 } })
  assert.equal(rs.status, 200, rs.text)
  const mint = await call(h.base, 'POST', '/mint-token', {
    key: h.keys.agent,
    body: {
      tool_name: 'create_stripe_payment', tool_args: paymentArgs(0, 249.99), agent_id: AGENT, session_id: 'checkout-0', policy_id: '',
      policy_version_id: allowed.policy_version_id, policy_content_hash: allowed.policy_content_hash, original_request_id: allowed.request_id,
      confidence_bucket: allowed.confidence_bucket, reason: allowed.reason, data_categories: [], purpose: '',
    },
  })
  assert.equal(mint.status, 200, mint.text)
  valid('ClearanceResponse', mint.body, 'mint-token')
  await clear(pay(21, 12.5), 'approved')
  const report = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body: { period_from: new Date(clock.now() - 3_600_000).toISOString(), period_to: new Date(clock.now()).toISOString(), formats: ['json'] } })
  assert.equal(report.status, 202, report.text)
  await h.server.context.reports.idle()
  await h.server.context.ledgerService.sealer.flush()
  return ids
}

test('a real Vault: every kind of row, realistic payment calls, a key rotation: the client reads and verifies everything with agent, reviewer and admin keys', { skip: skipWithoutVectors }, async (t) => {
  const v = strictValidators()
  const judge = await standInJudge(t)
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, {
    clock,
    config: { judge: { url: judge.url, model: 'stand-in', apiKey: 'sk-stand-in', timeoutMs: 2000 }, reviewExpiryMs: 60_000, ledger: { ...FAST_LEDGER, sealBatchSize: 4 } },
  })
  const get = async (path: string, key: string): Promise<Obj> => {
    const res = await call(h.base, 'GET', path, { key })
    assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 300)}`)
    return res.body
  }
  const valid = (model: string, body: unknown, where: string): void => assert.ok(v[model]!(body), `${where} (${model}): ${JSON.stringify(v[model]!.errors?.slice(0, 5))}`)
  const jwksDoc = async (): Promise<unknown> => (await call(h.base, 'GET', '/.well-known/jwks.json', { key: h.keys.agent })).body

  // An empty ledger (tenant B): the client's flow is intact over nothing.
  const emptyPage = await get('/ledger?limit=100', h.keys.bAgent)
  const emptyCps = await get('/ledger/checkpoints?limit=24', h.keys.bAgent)
  valid('LedgerPage', emptyPage, 'empty page')
  valid('CheckpointList', emptyCps, 'empty checkpoints')
  assert.deepEqual(clientVerifyLedgerProof(clientParseLedger(emptyPage), clientParseCheckpoints(emptyCps), await jwksDoc()),
    { intact: true, verifiedEntries: 0, verifiedCheckpoints: 0, latestLeafHash: null, latestCheckpointHash: null })

  await everyRowKind(h, v, clock, judge)
  const keys = await jwksDoc()
  assert.ok(((keys as Obj).keys as Obj[]).length >= 2, 'the rotated-out key stays published')

  const all = (await get('/ledger?limit=1000&view=full', h.keys.admin)).entries as Obj[]
  const kinds = new Set(all.map((e) => `${e.tool_name}:${e.decision_status}`))
  const tools = new Set(all.map((e) => e.tool_name))
  for (const tool of ['create_stripe_payment', 'stripe_refund', 'delete_customer', 'create_order_payment', 'ledgix.drift', 'ledgix.report']) assert.ok(tools.has(tool), `${tool} rows: ${[...kinds]}`)
  assert.ok(all.length >= 18 && all.length <= 100, `one client page holds the whole ledger (${all.length} rows)`)
  assert.ok(new Set(all.map((e) => e.receipt_key_id)).size >= 2, 'receipts under both keys')
  assert.ok(all.every((e) => e.leaf_index !== null), 'all sealed')
  const cpsAll = (await get('/ledger/checkpoints?limit=1000', h.keys.agent)).checkpoints as Obj[]
  assert.ok(cpsAll.length >= 3 && cpsAll.length <= 24, `${cpsAll.length} checkpoints: the client's limit=24 list reaches the latest`)
  // Our own verifiers re-hash every full row (unicode and astral keys, big and small numbers).
  const ours = verifyLedger(all, cpsAll, nodeLedgerCrypto, { pinnedJwks: keys })
  assert.deepEqual([ours.intact, ours.error, ours.coverage_note, ours.verified_entries], [true, undefined, undefined, all.length])
  assert.deepEqual([(await get('/ledger/verify', h.keys.agent)).intact, (await get('/ledger/verify', h.keys.agent)).verified_entries], [true, all.length])

  for (const [role, key] of [['agent', h.keys.agent], ['reviewer', h.keys.reviewer], ['admin', h.keys.admin]] as const) {
    // fetchLedger() and fetchLedgerCheckpoints() with their defaults, then verifyLedgerProof().
    const page = await get('/ledger?limit=100', key)
    const cps = await get('/ledger/checkpoints?limit=24', key)
    valid('LedgerPage', page, `${role} GET /ledger?limit=100`)
    valid('CheckpointList', cps, `${role} checkpoints`)
    assert.equal(page.entries.length, all.length)
    const result = clientVerifyLedgerProof(clientParseLedger(page), clientParseCheckpoints(cps), keys)
    assert.equal(result.intact, true)
    assert.equal(result.verifiedEntries, all.length)
    assert.equal(result.latestCheckpointHash, cpsAll[cpsAll.length - 1]!.checkpoint_hash)
    // The root over every leaf was checked (no "Provided … entries" note): the whole covered set was there.
    assert.equal(result.coverageNote, `Event-body hash recomputation was skipped for ${all.length} redacted public ledger entries; receipt and checkpoint proofs still verified.`, role)
    // fetchLedger(50) / fetchLedgerManifests(5), as the SDK's own capture calls them.
    const half = await get('/ledger?limit=50', key)
    const five = await get('/ledger/manifests?limit=5', key)
    valid('LedgerPage', half, 'limit=50')
    valid('CheckpointList', five, 'manifests limit=5')
    assert.equal(clientVerifyLedgerProof(clientParseLedger(half), clientParseCheckpoints(five), keys).intact, true)

    // Every row's bundle, inclusion proof and (to the latest checkpoint) consistency proof.
    for (const e of all) {
      const q = `request_id=${encodeURIComponent(e.request_id)}`
      const bundle = await get(`/ledger/proof/bundle?${q}`, key)
      valid('LedgerProofBundle', bundle, `${role} bundle ${e.tool_name}`)
      const checked = outcome(() => clientVerifyLedgerProofBundle(bundle, keys))
      assert.equal(checked.ok, true, `${role} bundle ${e.request_id} (${e.tool_name}): ${checked.ok ? '' : checked.message}`)
      const inc = await get(`/ledger/proof/inclusion?${q}`, key)
      valid('InclusionProof', inc, `${role} inclusion`)
      const p = clientParse('InclusionProof', inc)
      assert.ok(clientInclusionOk(p.leafHash, p.leafIndex, p.treeSize, p.path, p.checkpoint.rootHash), `${role} inclusion ${e.request_id}`)
    }
  }
  // Consistency between every pair of checkpoints (the client names checkpoint ids).
  let pairs = 0
  for (const from of cpsAll) {
    for (const to of cpsAll) {
      if (to.checkpoint_id < from.checkpoint_id) continue
      const body = await get(`/ledger/proof/consistency?from=${from.checkpoint_id}&to=${to.checkpoint_id}`, h.keys.agent)
      valid('ConsistencyProof', body, `consistency ${from.checkpoint_id}→${to.checkpoint_id}`)
      const c = clientParse('ConsistencyProof', body)
      assert.ok(clientConsistencyOk(c.fromCheckpoint.treeSize, c.toCheckpoint.treeSize, c.fromCheckpoint.rootHash, c.toCheckpoint.rootHash, c.path), `${from.checkpoint_id}→${to.checkpoint_id}`)
      pairs++
    }
  }
  assert.ok(pairs >= 6)

  // Page shapes: limit bounds, cursor pages to the end, newest first, the byte-cut page.
  for (const path of ['/ledger?limit=1', '/ledger?limit=1000', '/ledger?limit=5000', '/ledger', '/ledger?order=desc&limit=7', '/ledger?limit=100&view=full', '/ledger?limit=3&redact=1']) {
    valid('LedgerPage', await get(path, h.keys.reviewer), path)
  }
  let after: string | undefined
  const seen: number[] = []
  for (let i = 0; i < 100; i++) {
    const page = await get(`/ledger?limit=4${after === undefined ? '' : `&after=${after}`}`, h.keys.agent)
    valid('LedgerPage', page, `cursor page ${i}`)
    clientParseLedger(page)
    seen.push(...(page.entries as Obj[]).map((e) => e.seq))
    if (page.next_cursor === undefined) break
    after = page.next_cursor
  }
  assert.deepEqual(seen, all.map((e) => e.seq), 'cursor pages read every row once, in order, and the last page ends')
  const tenantId = h.tenantA as TenantId
  for (const view of ['redacted', 'full'] as const) {
    const stream = await ledgerPageStream(h.server.context, tenantId, { after: null, limit: 100, order: 'asc' }, view, '', 1500)
    let text = ''
    for await (const chunk of stream) text += String(chunk)
    const cut = JSON.parse(text) as Obj
    assert.ok(cut.next_cursor !== undefined && cut.entries.length < all.length, `${view}: the byte budget cut the page`)
    valid('LedgerPage', cut, `byte-cut ${view} page`)
  }
})

test('review_expiry_effect approve, and a judge that answers garbage: those rows too are read and verified by the client', { skip: skipWithoutVectors }, async (t) => {
  const v = strictValidators()
  const judge = await standInJudge(t)
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, {
    clock,
    config: { judge: { url: judge.url, model: 'stand-in', apiKey: 'sk-stand-in', timeoutMs: 2000 }, reviewExpiryMs: 60_000, reviewExpiryEffect: 'approve', ledger: { ...FAST_LEDGER } },
  })
  for (const policy of [PAYMENTS_POLICY, NL_POLICY]) assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: policy })).status, 200)
  const ids: string[] = []
  for (const [i, amount] of [[1, 5000], [2, 7500.25]] as const) {
    const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: pay(i, amount) })
    assert.equal(res.body.status, 'pending_review', res.text)
    ids.push(res.body.request_id)
  }
  judge.reply('this is not JSON at all')
  const garbage = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'create_order_payment', tool_args: { amount: 1, order_event_id: 'ord_evt_1' }, agent_id: AGENT, context: { policy_id: 'payments-nl' } } })
  assert.equal(garbage.status, 200, garbage.text)
  assert.ok(v.ClearanceResponse!(garbage.body), JSON.stringify(v.ClearanceResponse!.errors))
  ids.push((garbage.body as Obj).request_id)
  clock.advance(61_000)
  assert.ok((await expireReviews(h.server.context, clock.now())) >= 2)
  for (const id of ids) {
    const status = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
    assert.ok(v.ClearanceResponse!(status.body), JSON.stringify(v.ClearanceResponse!.errors))
  }
  assert.equal((await call(h.base, 'GET', `/clearance-status/${ids[0]}`, { key: h.keys.agent })).body.status, 'approved', 'expired into an approval')
  await h.server.context.ledgerService.sealer.flush()
  const keys = (await call(h.base, 'GET', '/.well-known/jwks.json')).body
  for (const key of [h.keys.agent, h.keys.reviewer, h.keys.admin]) {
    const page = (await call(h.base, 'GET', '/ledger?limit=100', { key })).body
    const cps = (await call(h.base, 'GET', '/ledger/checkpoints?limit=24', { key })).body
    assert.ok(v.LedgerPage!(page) && v.CheckpointList!(cps))
    // A vaultUrl with a trailing slash makes the client ask `//ledger…` (spec §1): same answers.
    assert.deepEqual((await call(h.base, 'GET', '//ledger?limit=100', { key })).body, page)
    assert.deepEqual((await call(h.base, 'GET', '//ledger/checkpoints?limit=24', { key })).body, cps)
    assert.deepEqual((await call(h.base, 'GET', `//ledger/proof/bundle?request_id=${ids[0]}`, { key })).body, (await call(h.base, 'GET', `/ledger/proof/bundle?request_id=${ids[0]}`, { key })).body)
    const result = clientVerifyLedgerProof(clientParseLedger(page), clientParseCheckpoints(cps), keys)
    assert.equal(result.intact && result.verifiedEntries, ids.length)
    assert.doesNotMatch(result.coverageNote ?? '', /Provided/, 'the root over every leaf was checked')
    for (const id of ids) {
      const bundle = (await call(h.base, 'GET', `/ledger/proof/bundle?request_id=${id}`, { key })).body
      assert.ok(v.LedgerProofBundle!(bundle), JSON.stringify(v.LedgerProofBundle!.errors))
      assert.equal(clientVerifyLedgerProofBundle(bundle, keys).intact, true)
    }
  }
})
