// The dashboard's review endpoints over a real Vault: GET /reviews/{id} (why, args hash, diff against
// the last approved call of the same agent and tool, decision with via), the status filters of
// GET /reviews (the default unchanged byte for byte), and POST /reviews/bulk-decision through the
// single-decision path with per-item results.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { toolArgsHash } from '../../src/token/index.ts'
import { decideReview, expireReviews } from '../../src/vault/reviews.ts'
import type { AuthContext } from '../../src/vault/context.ts'
import { call, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'

const BIG = { tool_name: 'create_stripe_payment', tool_args: { amount: 5000, customer_id: 'cus_9', memo: 'q3' }, agent_id: 'payments-agent' }

async function clearance(h: Harness, body: Record<string, unknown>, key = h.keys.agent): Promise<{ request_id: string; status: string }> {
  const res = await call(h.base, 'POST', '/request-clearance', { key, body })
  assert.equal(res.status, 200, res.text)
  return res.body
}

async function pending(h: Harness, body: Record<string, unknown> = BIG): Promise<string> {
  const c = await clearance(h, body)
  assert.equal(c.status, 'pending_review')
  return c.request_id
}

/** The keys GET /reviews items had before the dashboard (clients parse them). */
const ITEM_KEYS = [
  'request_id', 'status', 'decision_status', 'review_state', 'tool_name', 'tool_args', 'tool_args_hash', 'agent_id', 'session_id',
  'policy_id', 'policy_version_id', 'reason', 'reason_code', 'confidence', 'confidence_bucket', 'matched_rule_ids', 'reviewer',
  'review_reason', 'decided_by_key_id', 'decided_by_role', 'created_at', 'updated_at', 'review_expires_at',
]

test('GET /reviews/{id}: why (rule), the args hash the token binds, the diff against the last approved call, the decision with via', async (t) => {
  // "Last approved before this review" is by creation time: the clock moves between the calls.
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock })
  await registerPayments(h)
  const first = await pending(h)
  clock.advance(1000)
  const detail = await call(h.base, 'GET', `/reviews/${first}`, { key: h.keys.reviewer })
  assert.equal(detail.status, 200, detail.text)
  assert.deepEqual(Object.keys(detail.body).slice(0, ITEM_KEYS.length), ITEM_KEYS, 'the queue item, then the detail fields')
  assert.deepEqual(detail.body.why, { kind: 'rule', rule: 'payments-prod/big-review', rules: ['payments-prod/big-review'] })
  assert.equal(detail.body.args_hash, toolArgsHash(BIG.tool_args))
  assert.equal(detail.body.diff_from_last_approved, null, 'no approved call of this agent and tool yet')
  assert.equal(detail.body.decision, null)

  // An approved call of the same agent and tool (auto-approved: small), one of another agent, one in tenant B.
  const small = await clearance(h, { ...BIG, tool_args: { amount: 200, customer_id: 'cus_9', currency: 'eur' } })
  assert.equal(small.status, 'approved')
  await clearance(h, { ...BIG, agent_id: 'other-agent', tool_args: { amount: 300 } })
  await call(h.base, 'POST', '/register-policy', { key: h.keys.bAdmin, body: { policy_id: 'all', rules: [{ id: 'ok', when: 'true', effect: 'allow' }] } })
  await clearance(h, { ...BIG, tool_args: { amount: 1 } }, h.keys.bAgent)
  clock.advance(1000)
  const second = await pending(h)
  const withDiff = await call(h.base, 'GET', `/reviews/${second}`, { key: h.keys.admin })
  assert.equal(withDiff.body.diff_from_last_approved.request_id, small.request_id)
  assert.deepEqual(withDiff.body.diff_from_last_approved.changes, [
    { path: '/amount', kind: 'changed', before: 200, after: 5000 },
    { path: '/currency', kind: 'removed', before: 'eur' },
    { path: '/memo', kind: 'added', after: 'q3' },
  ])
  // The first review was created before the approved call: it still has nothing to compare with.
  assert.equal((await call(h.base, 'GET', `/reviews/${first}`, { key: h.keys.reviewer })).body.diff_from_last_approved, null)

  const approve = await call(h.base, 'POST', `/reviews/${second}/decision`, { key: h.keys.reviewer, body: { approved: true, review_reason: 'checked the invoice', reviewer_email: 'ana@example.com' } })
  assert.equal(approve.status, 200)
  const claims = JSON.parse(Buffer.from(approve.body.token.split('.')[1], 'base64url').toString()) as { tool_args_hash: string }
  assert.equal(claims.tool_args_hash, withDiff.body.args_hash, 'args_hash is what the token binds')
  const decided = await call(h.base, 'GET', `/reviews/${second}`, { key: h.keys.reviewer })
  const { at, ...decision } = decided.body.decision
  assert.deepEqual(decision, { approved: true, state: 'approved', by: 'ana@example.com', via: 'api', reason: 'checked the invoice', decided_by_key_id: approve.body.decided_by_key_id })
  assert.equal(at, decided.body.updated_at)
})

test('GET /reviews/{id}: via slack and system; why by confidence and by default', async (t) => {
  const clock = new ManualClock(Date.now())
  const judge = { name: 'stub', judge: async () => ({ ok: true as const, verdict: { verdict: 'allow' as const, confidence: 0.5, citedRules: [], reason: 'unsure' } }) }
  const h = await startHarness(t, { clock, judge, config: { reviewExpiryMs: 60_000, defaultEffect: 'review' } })
  await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: { policy_id: 'nl', tools: ['send_email'], rules: ['Emails must go to customers only.'] } })
  const lowConfidence = await pending(h, { tool_name: 'send_email', tool_args: { to: 'x@example.com' }, agent_id: 'mailer' })
  const byDefault = await pending(h, { tool_name: 'uncovered_tool', tool_args: {}, agent_id: 'mailer' })
  assert.deepEqual((await call(h.base, 'GET', `/reviews/${lowConfidence}`, { key: h.keys.reviewer })).body.why, { kind: 'confidence', confidence: 0.5, threshold: 0.75 })
  assert.deepEqual((await call(h.base, 'GET', `/reviews/${byDefault}`, { key: h.keys.reviewer })).body.why, { kind: 'default', reason_code: 'no_policy_matched' })

  const auth: AuthContext = { tenantId: h.tenantA, keyId: 'key_slack' as AuthContext['keyId'], role: 'reviewer', keyName: 'slack-app' }
  const bySlack = await decideReview(h.server.context, auth, lowConfidence, { approved: false, reviewReason: 'not a customer', reviewerEmail: 'slack:U_ALICE', channel: 'slack' })
  assert.equal(bySlack.ok, true)
  const slackDecision = (await call(h.base, 'GET', `/reviews/${lowConfidence}`, { key: h.keys.reviewer })).body.decision
  assert.deepEqual([slackDecision.by, slackDecision.via, slackDecision.approved], ['slack:U_ALICE', 'slack', false])
  clock.advance(61_000)
  assert.equal(await expireReviews(h.server.context, clock.now()), 1)
  const expired = (await call(h.base, 'GET', `/reviews/${byDefault}`, { key: h.keys.reviewer })).body.decision
  assert.deepEqual([expired.via, expired.state, expired.approved], ['system', 'expired', false])
})

test('GET /reviews/{id} refusals: agent key 403, another tenant 404, not a review 404, bad id 400', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  const agent = await call(h.base, 'GET', `/reviews/${id}`, { key: h.keys.agent })
  assert.deepEqual([agent.status, agent.body.code], [403, 'forbidden'])
  const foreign = await call(h.base, 'GET', `/reviews/${id}`, { key: h.keys.bAdmin })
  assert.deepEqual([foreign.status, foreign.body.code], [404, 'not_found'])
  const auto = await clearance(h, { ...BIG, tool_args: { amount: 5 } })
  assert.equal((await call(h.base, 'GET', `/reviews/${auto.request_id}`, { key: h.keys.reviewer })).status, 404)
  const bad = await call(h.base, 'GET', '/reviews/%20bad', { key: h.keys.reviewer })
  assert.equal(bad.status, 400)
  assert.match(bad.body.detail, /^path\.request_id/)
  assert.equal((await call(h.base, 'GET', `/reviews/${id}`, {})).status, 401)
})

test('GET /reviews?status=pending|decided|expired|all; the default answer is unchanged byte for byte', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock, config: { reviewExpiryMs: 60_000 } })
  await registerPayments(h)
  const a = await pending(h)
  clock.advance(1)
  const b = await pending(h)
  clock.advance(1)
  const c = await pending(h)
  await call(h.base, 'POST', `/reviews/${a}/decision`, { key: h.keys.reviewer, body: { approved: false, review_reason: 'no' } })
  clock.advance(30_000)
  const d = await pending(h)
  clock.advance(31_000)
  assert.equal(await expireReviews(h.server.context, clock.now()), 2, 'b and c expire, d is not due')
  const ids = async (q: string): Promise<string[]> => {
    const res = await call(h.base, 'GET', `/reviews${q}`, { key: h.keys.reviewer })
    assert.equal(res.status, 200, res.text)
    return res.body.reviews.map((r: { request_id: string }) => r.request_id)
  }
  assert.deepEqual(await ids(''), [d])
  assert.deepEqual(await ids('?status=pending'), [d])
  assert.deepEqual(await ids('?status=decided'), [a])
  assert.deepEqual(await ids('?status=expired'), [b, c])
  assert.deepEqual(await ids('?status=all'), [a, b, c, d])
  assert.deepEqual(await ids('?status=denied'), [a, b, c], 'the original filters are by clearance status, as before')
  const plain = await call(h.base, 'GET', '/reviews', { key: h.keys.reviewer })
  assert.equal(plain.text, (await call(h.base, 'GET', '/reviews?status=pending_review', { key: h.keys.reviewer })).text)
  assert.equal(plain.text, (await call(h.base, 'GET', '/reviews?status=pending', { key: h.keys.reviewer })).text)
  assert.deepEqual(Object.keys(plain.body), ['reviews', 'next_cursor'])
  assert.deepEqual(Object.keys(plain.body.reviews[0]), ITEM_KEYS)
  const bad = await call(h.base, 'GET', '/reviews?status=done', { key: h.keys.reviewer })
  assert.equal(bad.status, 400)
  assert.match(bad.body.detail, /^query\.status/)
})

test('POST /reviews/bulk-decision: per-item results for pending, decided, unknown and foreign ids, each through the single-decision path', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const [p1, p2, done] = [await pending(h), await pending(h), await pending(h)]
  await call(h.base, 'POST', `/reviews/${done}/decision`, { key: h.keys.admin, body: { approved: true, reviewer_email: 'bo@example.com' } })
  await call(h.base, 'POST', '/register-policy', { key: h.keys.bAdmin, body: { policy_id: 'rev', rules: [{ id: 'r', when: 'true', effect: 'review' }] } })
  const foreign = (await clearance(h, BIG, h.keys.bAgent)).request_id
  const eventsBefore = (await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)).length
  const res = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.reviewer, body: { request_ids: [p1, done, 'no-such-request', foreign, p2], approved: false, review_reason: 'batch of duplicates' } })
  assert.equal(res.status, 200, res.text)
  const results = res.body.results as Array<Record<string, any>>
  assert.deepEqual(results.map((r) => [r.request_id, r.status, r.code ?? null]), [
    [p1, 200, null],
    [done, 409, 'review_already_decided'],
    ['no-such-request', 404, 'not_found'],
    [foreign, 404, 'not_found'],
    [p2, 200, null],
  ])
  assert.deepEqual([results[1]!.decision.by, results[1]!.decision.via, results[1]!.decision.approved], ['bo@example.com', 'api', true], '409 says who decided, how')
  const events = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)
  assert.equal(events.length, eventsBefore + 2, 'one ledger event per decided item')
  for (const id of [p1, p2]) {
    const s = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
    assert.deepEqual([s.body.status, s.body.reason_code], ['denied', 'review_denied'])
  }
  assert.equal((await call(h.base, 'GET', `/clearance-status/${foreign}`, { key: h.keys.bAgent })).body.status, 'pending_review', 'tenant B untouched')
  const again = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.admin, body: { request_ids: [p1], approved: true } })
  assert.deepEqual(again.body.results.map((r: { status: number }) => r.status), [409])
})

test('POST /reviews/bulk-decision refusals: agent 403, deny without a reason 400, over 100 ids 400, duplicates 400, nothing decided', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  const agent = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.agent, body: { request_ids: [id], approved: false, review_reason: 'x' } })
  assert.deepEqual([agent.status, agent.body.code], [403, 'forbidden'])
  const noReason = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.reviewer, body: { request_ids: [id], approved: false, review_reason: '  ' } })
  assert.equal(noReason.status, 400)
  assert.match(noReason.body.detail, /^body\.review_reason: /)
  const tooMany = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.reviewer, body: { request_ids: Array.from({ length: 101 }, (_, i) => `r${i}`), approved: true } })
  assert.equal(tooMany.status, 400)
  assert.match(tooMany.body.detail, /^body\.request_ids: .*100/)
  const dup = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.reviewer, body: { request_ids: [id, id], approved: true } })
  assert.equal(dup.status, 400)
  assert.match(dup.body.detail, /^body\.request_ids/)
  const empty = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.reviewer, body: { request_ids: [], approved: true } })
  assert.equal(empty.status, 400)
  const noApproved = await call(h.base, 'POST', '/reviews/bulk-decision', { key: h.keys.reviewer, body: { request_ids: [id] } })
  assert.match(noApproved.body.detail, /^body\.approved/)
  assert.equal((await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })).body.status, 'pending_review')
  assert.equal((await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)).length, 0)
})
