// Issue 16 §1: every body the real Ledgix client parses, for every kind of decision a Vault makes,
// validated against the client's own response models (../shared/testdata/ledgix/client-schemas.json,
// zod converted to JSON Schema draft-07; a body that fails makes the client throw a ZodError). A real
// Vault on loopback with a stand-in judge produces: rule allow / deny / review, judge allow / deny,
// default deny, lockdown deny, reviewed approve / deny, expired review, agent cancel, a decision-cache
// mint; then every ledger read (both views), checkpoints, manifests, inclusion, consistency, bundle.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import { ManualClock } from '../../src/core/index.ts'
import { expireReviews } from '../../src/vault/reviews.ts'
import { FAST_LEDGER } from '../ledger/ledger-harness.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { standInJudge } from '../helpers/stand-in-judge.ts'
import type { StandInJudge } from '../helpers/stand-in-judge.ts'
import { PAYMENTS_POLICY, call, startHarness } from '../vault/helpers.ts'
import type { Harness, JsonResponse } from '../vault/helpers.ts'

type Schema = Record<string, unknown>
interface SchemaFile { schemas: Record<string, Schema> }

/** One Ajv validator per client model, plus the list envelopes the description names. */
function validators(): Record<string, ValidateFunction> {
  const { schemas } = loadVector<SchemaFile>('client-schemas.json')
  for (const s of Object.values(schemas)) assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#', 'Ajv\'s default class is draft-07')
  // Strict: an unknown keyword or a misplaced default in the schemas is an error, not ignored.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
  const bare = (name: string): Schema => {
    const { $schema: _drop, ...rest } = schemas[name]!
    return rest
  }
  const out: Record<string, ValidateFunction> = {}
  for (const name of Object.keys(schemas)) out[name] = ajv.compile(schemas[name]!)
  // The client reads `entries` / `checkpoints` (a missing array reads as empty; we always send it).
  out.LedgerPage = ajv.compile({ type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: bare('LedgerEntry') } } })
  out.CheckpointList = ajv.compile({ type: 'object', required: ['checkpoints'], properties: { checkpoints: { type: 'array', items: bare('LedgerCheckpoint') } } })
  return out
}

function expectValid(v: Record<string, ValidateFunction>, model: string, res: JsonResponse, where: string): void {
  assert.equal(res.status, 200, `${where}: ${res.text.slice(0, 300)}`)
  const ok = v[model]!(res.body)
  assert.ok(ok, `${where} (${model}): ${JSON.stringify(v[model]!.errors?.slice(0, 5))}`)
}

const NL_POLICY = { policy_id: 'payments-nl', description: 'NL', rules: ['Payments must be tied to a valid order event.'], tools: ['create_order_payment'] }
const pay = (amount: number, extra: object = {}): object => ({
  tool_name: 'create_stripe_payment',
  tool_args: { amount, currency: 'usd', customer_id: 'cus_123', payment_method_id: 'pm_4242', metadata: { order_id: 'o_1', line_items: [{ sku_id: 'a', qty: 1 }] } },
  agent_id: 'payments-agent', session_id: 'checkout-42', context: { policy_id: 'payments-prod' }, ...extra,
})

/** Every kind of decision; returns the request ids with what each was. */
async function everyDecision(h: Harness, judge: StandInJudge, clock: ManualClock, v: Record<string, ValidateFunction>): Promise<Map<string, string>> {
  const ids = new Map<string, string>()
  const clear = async (kind: string, body: object, expected: string): Promise<string> => {
    const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body })
    expectValid(v, 'ClearanceResponse', res, `clearance ${kind}`)
    assert.equal(res.body.status, expected, `${kind}: ${res.text}`)
    ids.set(res.body.request_id as string, kind)
    return res.body.request_id as string
  }
  const allowed = await clear('rule allow', pay(45), 'approved')
  await clear('rule deny', { tool_name: 'stripe_refund', tool_args: { charge_id: 'ch_1', amount: 10 }, agent_id: 'payments-agent' }, 'denied')
  await clear('default deny', { tool_name: 'delete_customer', tool_args: { customer_id: 'cus_1' }, agent_id: 'payments-agent' }, 'denied')
  const nl = { tool_name: 'create_order_payment', tool_args: { amount: 249.99, order_event_id: 'ord_evt_2048' }, agent_id: 'payments-agent', context: { policy_id: 'payments-nl' } }
  judge.next('allow', 0.95)
  await clear('judge allow', nl, 'approved')
  judge.next('deny', 0.9)
  await clear('judge deny', nl, 'denied')
  judge.next('allow', 0.6)
  await clear('judge low confidence → review', nl, 'pending_review')
  const reviews = [await clear('rule review → approved', pay(5000), 'pending_review'), await clear('rule review → denied', pay(6000), 'pending_review'),
    await clear('rule review → cancelled', pay(7000), 'pending_review'), await clear('rule review → expired', pay(8000), 'pending_review')]
  const status = async (id: string): Promise<void> => expectValid(v, 'ClearanceResponse', await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent }), `clearance-status ${ids.get(id)}`)
  for (const id of reviews) await status(id)
  const decide = async (id: string, key: string, body: object): Promise<void> =>
    expectValid(v, 'ClearanceResponse', await call(h.base, 'POST', `/reviews/${id}/decision`, { key, body }), `review decision ${ids.get(id)}`)
  await decide(reviews[0]!, h.keys.reviewer, { approved: true, review_reason: 'ok', reviewer_email: 'ops@example.com' })
  await decide(reviews[1]!, h.keys.reviewer, { approved: false, review_reason: 'no' })
  await decide(reviews[2]!, h.keys.agent, { approved: false, review_reason: 'cancelled by agent' })
  clock.advance(61_000)
  assert.ok((await expireReviews(h.server.context, clock.now())) >= 1)
  for (const id of ids.keys()) await status(id)
  assert.equal((await call(h.base, 'POST', '/drift/agents/payments-agent/lockdown', { key: h.keys.reviewer, body: { reason: 'contract test' } })).status, 200)
  await clear('lockdown deny', pay(45), 'denied')
  assert.equal((await call(h.base, 'DELETE', '/drift/agents/payments-agent/lockdown', { key: h.keys.reviewer, body: { reason: 'contract test over' } })).status, 200)
  // The client's decision cache: a fresh token for an exact prior approval (spec §3.3).
  const first = (await call(h.base, 'GET', `/clearance-status/${allowed}`, { key: h.keys.agent })).body
  const mint = await call(h.base, 'POST', '/mint-token', {
    key: h.keys.agent,
    body: {
      tool_name: 'create_stripe_payment', tool_args: { amount: 45, currency: 'usd', customerId: 'cus_123', paymentMethodId: 'pm_4242', metadata: { orderId: 'o_1', lineItems: [{ skuId: 'a', qty: 1 }] } },
      agent_id: 'payments-agent', session_id: 'checkout-42', policy_id: '', policy_version_id: first.policy_version_id, policy_content_hash: first.policy_content_hash,
      original_request_id: allowed, confidence_bucket: first.confidence_bucket, reason: first.reason, data_categories: [], purpose: '',
    },
  })
  expectValid(v, 'ClearanceResponse', mint, 'mint-token')
  assert.equal(typeof mint.body.token, 'string', mint.text)
  return ids
}

test('every body the client parses, for every kind of decision, passes the client\'s own schemas', { skip: skipWithoutVectors }, async (t) => {
  const v = validators()
  const judge = await standInJudge(t)
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, {
    clock,
    config: { judge: { url: judge.url, model: 'stand-in', apiKey: 'sk-stand-in', timeoutMs: 2000 }, reviewExpiryMs: 60_000, ledger: { ...FAST_LEDGER, sealBatchSize: 3 } },
  })
  for (const policy of [PAYMENTS_POLICY, NL_POLICY]) {
    expectValid(v, 'PolicyRegistrationResponse', await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: policy }), `register-policy ${policy.policy_id}`)
  }
  const ids = await everyDecision(h, judge, clock, v)
  await h.server.context.ledgerService.sealer.flush()

  const page = await call(h.base, 'GET', '/ledger?limit=100', { key: h.keys.agent })
  expectValid(v, 'LedgerPage', page, 'GET /ledger (default, redacted)')
  const full = await call(h.base, 'GET', '/ledger?limit=100&view=full', { key: h.keys.reviewer })
  expectValid(v, 'LedgerPage', full, 'GET /ledger?view=full')
  // Every request is decided by now (the two left pending expired), each with its event; the mint adds one.
  const ledgered = new Set(full.body.entries.map((e: { request_id: string }) => e.request_id))
  for (const [id, kind] of ids) assert.ok(ledgered.has(id), `${kind} is in the ledger`)
  // The judge's rows carry classifier fields; the rule rows serve them as null, never "" (spec §7.6).
  const judged = full.body.entries.filter((e: { classifier_label: unknown }) => e.classifier_label !== null)
  assert.ok(judged.length >= 2 && judged.every((e: { classifier_confidence_bucket: unknown }) => typeof e.classifier_confidence_bucket === 'string'))
  assert.ok(full.body.entries.some((e: { classifier_confidence_bucket: unknown }) => e.classifier_confidence_bucket === null))

  for (const path of ['/ledger/checkpoints?limit=24', '/ledger/manifests?limit=24', '/ledger/checkpoints?limit=24&order=desc']) {
    expectValid(v, 'CheckpointList', await call(h.base, 'GET', path, { key: h.keys.agent }), path)
  }
  const checkpoints = (await call(h.base, 'GET', '/ledger/checkpoints?limit=100', { key: h.keys.agent })).body.checkpoints as Array<{ checkpoint_id: number }>
  assert.ok(checkpoints.length >= 2)
  const last = checkpoints[checkpoints.length - 1]!.checkpoint_id
  for (const [from, to] of [[1, last], [1, 1], [last - 1, last]] as const) {
    expectValid(v, 'ConsistencyProof', await call(h.base, 'GET', `/ledger/proof/consistency?from=${from}&to=${to}`, { key: h.keys.agent }), `consistency ${from}→${to}`)
  }
  for (const e of full.body.entries as Array<{ request_id: string }>) {
    const q = `request_id=${encodeURIComponent(e.request_id)}`
    expectValid(v, 'InclusionProof', await call(h.base, 'GET', `/ledger/proof/inclusion?${q}`, { key: h.keys.agent }), `inclusion ${ids.get(e.request_id)}`)
    const bundle = await call(h.base, 'GET', `/ledger/proof/bundle?${q}`, { key: h.keys.agent })
    expectValid(v, 'LedgerProofBundle', bundle, `bundle ${ids.get(e.request_id)}`)
    assert.notEqual(bundle.body.consistency, null, 'omitted, never null')
  }
})

test('a decision slower than decision_timeout: the processing answer and its polls pass the client schema too', { skip: skipWithoutVectors }, async (t) => {
  const v = validators()
  const judge = await standInJudge(t)
  const h = await startHarness(t, { config: { judge: { url: judge.url, model: 'stand-in', apiKey: 'sk-stand-in', timeoutMs: 10_000 }, decisionTimeoutMs: 100 } })
  expectValid(v, 'PolicyRegistrationResponse', await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: NL_POLICY }), 'register-policy')
  judge.next('allow', 0.95)
  judge.hold()
  const nl = { tool_name: 'create_order_payment', tool_args: { amount: 1, order_event_id: 'ord_evt_1' }, agent_id: 'payments-agent', context: { policy_id: 'payments-nl' } }
  const first = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: nl })
  expectValid(v, 'ClearanceResponse', first, 'clearance processing')
  assert.equal(first.body.status, 'processing')
  const id = first.body.request_id as string
  expectValid(v, 'ClearanceResponse', await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent }), 'clearance-status processing')
  judge.release()
  let last = first
  for (let i = 0; i < 100 && last.body.status === 'processing'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    last = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
    expectValid(v, 'ClearanceResponse', last, 'clearance-status poll')
  }
  assert.equal(last.body.status, 'approved')
})
