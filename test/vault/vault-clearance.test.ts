// /request-clearance, /clearance-status, /mint-token and /register-policy: decisions and both
// response shapes, defaults, idempotent retries, slow decisions answered `processing`, tenancy,
// lockdown, and the decision-cache mint with its camelCase quirk.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Judge, JudgeResult } from '../../src/vault/policy/index.ts'
import { PAYMENTS_POLICY, call, registerPayments, startHarness, type Harness } from './helpers.ts'

const PAY = { tool_name: 'create_stripe_payment', tool_args: { amount: 249.99, currency: 'USD', customer_id: 'cus_123' }, agent_id: 'payments-agent', session_id: 'checkout-42', context: { policy_id: 'payments-prod' } }

async function events(h: Harness): Promise<Array<{ requestId: string; eventType: string; decisionStatus: string }>> {
  return h.server.context.store.listDecisionEvents(h.tenantA, 0, 1000)
}

test('approved, denied and pending_review carry both shapes with exact enums and no forbidden nulls', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const ok = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: PAY })
  assert.equal(ok.status, 200)
  assert.equal(ok.body.status, 'approved')
  assert.equal(ok.body.decision_status, 'approved')
  assert.equal(ok.body.approved, true)
  assert.equal(ok.body.requires_manual_review, false)
  assert.equal(typeof ok.body.token, 'string')
  assert.equal(ok.body.confidence_bucket, 'extra_high')
  assert.equal(ok.body.minimum_confidence_bucket, 'high')
  assert.equal(ok.body.minimum_confidence_score, 0.75)
  assert.match(ok.body.policy_version_id, /^pv_/)
  assert.match(ok.body.policy_content_hash, /^sha256:[0-9a-f]{64}$/)
  assert.match(ok.body.reason, /small-allow/)
  const denied = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...PAY, tool_name: 'stripe_refund' } })
  assert.equal(denied.status, 200)
  assert.deepEqual([denied.body.status, denied.body.decision_status, denied.body.token, denied.body.approved], ['denied', 'denied', null, false])
  assert.match(denied.body.reason, /refunds-denied/)
  const review = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...PAY, tool_args: { amount: 5000 } } })
  assert.deepEqual([review.body.status, review.body.decision_status, review.body.requires_manual_review, review.body.token], ['pending_review', 'approved_pending_review', true, null])
  for (const body of [ok.body, denied.body, review.body]) {
    for (const field of ['status', 'decision_status', 'requires_manual_review', 'reason', 'request_id', 'confidence_bucket', 'minimum_confidence_bucket']) {
      assert.notEqual(body[field], null, field)
      assert.notEqual(body[field], undefined, field)
    }
  }
  const ev = await events(h)
  assert.deepEqual(ev.map((e) => e.decisionStatus), ['approved', 'denied'], 'terminal decisions ledgered, the pending one not yet')
})

test('a body with only tool_name gets the spec defaults; no policy → configured default (deny)', async (t) => {
  const h = await startHarness(t)
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal(res.status, 200)
  assert.equal(res.body.decision_status, 'denied')
  const row = await h.server.context.store.getClearance(h.tenantA, res.body.request_id)
  assert.deepEqual([row?.agentId, row?.sessionId, row?.toolArgs, row?.context], ['default-agent', '', {}, {}])
})

test('Idempotency-Key: same key + body → same response, one decision, one token; different body → 409', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const headers = { 'idempotency-key': '0f8e4b52-3c8b-4b55-9a7e-4f7c2d5b9e11' }
  const [a, b] = await Promise.all([
    call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: PAY, headers }),
    call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: PAY, headers }),
  ])
  const c = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: PAY, headers })
  assert.equal(a.body.request_id, b.body.request_id)
  assert.equal(a.body.request_id, c.body.request_id)
  assert.equal(a.body.token, c.body.token)
  assert.equal((await events(h)).length, 1, 'one decision event')
  const conflict = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...PAY, tool_args: { amount: 1 } }, headers })
  assert.equal(conflict.status, 409)
  assert.equal(conflict.body.code, 'idempotency_conflict')
  const otherTenant = await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: PAY, headers })
  assert.equal(otherTenant.status, 200)
  assert.notEqual(otherTenant.body.request_id, a.body.request_id, 'keys are per tenant')
})

test('a decision slower than decision_timeout answers processing; /clearance-status delivers it later', async (t) => {
  let release!: (r: JudgeResult) => void
  let calls = 0
  const judge: Judge = {
    name: 'slow',
    judge: () => {
      calls++
      return new Promise<JudgeResult>((resolve) => (release = resolve))
    },
  }
  const h = await startHarness(t, { judge, config: { decisionTimeoutMs: 150 } })
  const nl = { policy_id: 'nl', description: '', rules: ['Payments must be tied to a valid order event.'], tools: ['create_stripe_payment'] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: nl })).status, 200)
  const started = Date.now()
  const first = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...PAY, context: { policy_id: 'nl' } } })
  assert.ok(Date.now() - started < 5_000)
  assert.equal(first.body.status, 'processing')
  assert.equal(first.body.decision_status, undefined, 'omitted while processing')
  assert.equal(first.body.token, null)
  const poll = await call(h.base, 'GET', `/clearance-status/${first.body.request_id}`, { key: h.keys.agent })
  assert.equal(poll.body.status, 'processing')
  release({ ok: true, verdict: { verdict: 'allow', confidence: 0.97, citedRules: ['nl/nl-0'], reason: 'order event present' } })
  let final = poll
  for (let i = 0; i < 50 && final.body.status === 'processing'; i++) {
    await new Promise((r) => setTimeout(r, 20))
    final = await call(h.base, 'GET', `/clearance-status/${first.body.request_id}`, { key: h.keys.agent })
  }
  assert.equal(final.body.status, 'approved')
  assert.equal(final.body.decision_status, 'approved')
  assert.equal(typeof final.body.token, 'string')
  const again = await call(h.base, 'GET', `/clearance-status/${first.body.request_id}`, { key: h.keys.agent })
  assert.equal(again.body.token, final.body.token, 'repeated polls return the same token')
  assert.equal(calls, 1)
})

test('clearance-status: unknown id and another tenant\'s id are both 404', async (t) => {
  const h = await startHarness(t)
  const mine = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal((await call(h.base, 'GET', `/clearance-status/${mine.body.request_id}`, { key: h.keys.bAgent })).status, 404)
  assert.equal((await call(h.base, 'GET', '/clearance-status/does-not-exist', { key: h.keys.agent })).status, 404)
  assert.equal((await call(h.base, 'GET', `/clearance-status/${encodeURIComponent(mine.body.request_id)}`, { key: h.keys.agent })).status, 200)
})

test('a locked-down agent is denied with HTTP 200 without evaluating policy', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  await call(h.base, 'POST', '/drift/agents/payments-agent/lockdown', { key: h.keys.admin, body: { reason: 'unusual refund burst' } })
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: PAY })
  assert.equal(res.status, 200)
  assert.equal(res.body.decision_status, 'denied')
  assert.equal(res.body.reason_code, 'agent_locked')
  assert.match(res.body.reason, /locked down \(unusual refund burst\); policy was not evaluated/)
  assert.equal(res.body.policy_version_id, null)
})

test('/mint-token: fresh jti for an exact prior approval (camelCase args rewritten); anything else refused', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const first = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...PAY, tool_args: { amount: 45, customer_id: 'cus_1' } } })
  assert.equal(first.body.status, 'approved')
  const mintBody = {
    tool_name: 'create_stripe_payment', tool_args: { amount: 45, customerId: 'cus_1' }, agent_id: 'payments-agent', session_id: 'checkout-42',
    policy_id: '', policy_version_id: first.body.policy_version_id, policy_content_hash: first.body.policy_content_hash,
    original_request_id: first.body.request_id, confidence_bucket: 'extra_high', reason: first.body.reason, data_categories: [], purpose: '',
  }
  const headers = { 'idempotency-key': 'mint-key-1' }
  const minted = await call(h.base, 'POST', '/mint-token', { key: h.keys.agent, body: mintBody, headers })
  assert.equal(minted.status, 200, minted.text)
  assert.equal(typeof minted.body.token, 'string')
  const jti = (tok: string): string => (JSON.parse(Buffer.from(tok.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti
  assert.notEqual(jti(minted.body.token), jti(first.body.token))
  const claims = JSON.parse(Buffer.from(minted.body.token.split('.')[1]!, 'base64url').toString()) as { policy_id: string }
  assert.equal(claims.policy_id, 'payments-prod', 'policy taken from the original decision')
  const replay = await call(h.base, 'POST', '/mint-token', { key: h.keys.agent, body: mintBody, headers })
  assert.equal(replay.body.token, minted.body.token, 'idempotent replay, no second token')
  const other = await call(h.base, 'POST', '/mint-token', { key: h.keys.agent, body: { ...mintBody, tool_args: { amount: 46, customerId: 'cus_1' } } })
  assert.equal(other.status, 403)
  const foreign = await call(h.base, 'POST', '/mint-token', { key: h.keys.bAgent, body: mintBody })
  assert.equal(foreign.status, 404)
  const denied = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { ...PAY, tool_name: 'stripe_refund' } })
  const fromDenied = await call(h.base, 'POST', '/mint-token', { key: h.keys.agent, body: { ...mintBody, tool_name: 'stripe_refund', original_request_id: denied.body.request_id } })
  assert.equal(fromDenied.status, 403)
  assert.deepEqual((await events(h)).map((e) => e.eventType), ['clearance', 'mint', 'clearance'])
})

test('/register-policy: new immutable version each time, 400 naming a bad rule, admin keys only', async (t) => {
  const h = await startHarness(t)
  const first = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: PAYMENTS_POLICY, headers: { 'idempotency-key': 'p1' } })
  assert.equal(first.status, 200)
  assert.deepEqual([first.body.policy_id, first.body.status, typeof first.body.message], ['payments-prod', 'registered', 'string'])
  const replay = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: PAYMENTS_POLICY, headers: { 'idempotency-key': 'p1' } })
  assert.equal(replay.body.policy_version_id, first.body.policy_version_id)
  const second = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: PAYMENTS_POLICY })
  assert.notEqual(second.body.policy_version_id, first.body.policy_version_id)
  assert.equal(second.body.policy_content_hash, first.body.policy_content_hash)
  const bad = structuredClone(PAYMENTS_POLICY)
  bad.rules[1]!.when = 'tool_args.amount >'
  const refused = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: bad })
  assert.equal(refused.status, 400)
  assert.match(refused.body.detail, /rules\[1\]\.when/)
  const agent = await call(h.base, 'POST', '/register-policy', { key: h.keys.agent, body: PAYMENTS_POLICY })
  assert.equal(agent.status, 403)
  // Tenant B has no policy: its clearance falls to the default.
  const b = await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: PAY })
  assert.equal(b.body.decision_status, 'denied')
})
