// Issue 16, class 5: lockdown wins everywhere a token can come from. Every token the Vault mints is
// inserted by the store's `token_insert` op (persistDecision), whose guard reads the agent lock inside
// the mint's transaction. The token sources, each covered here: the clearance path (immediate and the
// background finish of a slow decision), a reviewer's approval, the review-expiry sweeper with
// `review_expiry_effect: approve`, and /mint-token; a token minted before the lock (served again by
// /clearance-status) is refused at the burn, over HTTP and through the in-process port.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import type { Judge, JudgeResult } from '../../src/vault/policy/index.ts'
import { expireReviews } from '../../src/vault/reviews.ts'
import { call, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'

const AGENT = 'payments-agent'
const SMALL = { tool_name: 'create_stripe_payment', tool_args: { amount: 20, customer_id: 'cus_1' }, agent_id: AGENT }
const BIG = { tool_name: 'create_stripe_payment', tool_args: { amount: 5000, customer_id: 'cus_9' }, agent_id: AGENT }

async function lock(h: Harness, reason = 'drift detected'): Promise<void> {
  const res = await call(h.base, 'POST', `/drift/agents/${AGENT}/lockdown`, { key: h.keys.reviewer, body: { reason } })
  assert.equal(res.status, 200)
}

async function pendingReview(h: Harness): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: BIG })
  assert.equal(res.body.status, 'pending_review')
  return res.body.request_id as string
}

async function tokensOf(h: Harness): Promise<number> {
  const events = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 1000)
  let n = 0
  for (const e of events) if (e.approved) n++
  return n
}

test('store: token_insert for a locked agent is refused (agent_locked) and rolls back its whole write', async (t) => {
  const h = await startHarness(t)
  const store = h.server.context.store
  const nowMs = Date.now()
  await store.write([{ op: 'agent_lock_put', lock: { tenantId: h.tenantA, agentId: AGENT, locked: true, actor: 't', reason: 'why', changedAtMs: nowMs } }])
  const token = { jti: 'jti-locked', tenantId: h.tenantA, requestId: 'r1', agentId: AGENT, toolName: 'x', kid: 'k', expSeconds: 9e9, mintedAtMs: nowMs }
  const result = await store.write([{ op: 'token_insert', token }])
  assert.equal(result.ok, false)
  assert.deepEqual(!result.ok && result.refusal, { code: 'agent_locked', lockReason: 'why' })
  assert.equal(await store.getToken('jti-locked'), null)
  // Another tenant's lock on the same agent id does not block this tenant.
  const other = await store.write([{ op: 'token_insert', token: { ...token, jti: 'jti-b', tenantId: 'tenant-b' as TenantId } }])
  assert.equal(other.ok, true)
})

test('expiry sweeper with review_expiry_effect approve: a locked agent\'s review expires denied (agent_locked), no token, ledgered', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock, config: { reviewExpiryMs: 60_000, reviewExpiryEffect: 'approve' } })
  await registerPayments(h)
  const lockedId = await pendingReview(h)
  await lock(h, 'investigating refunds')
  clock.advance(61_000)
  assert.equal(await expireReviews(h.server.context, clock.now()), 1)
  const status = await call(h.base, 'GET', `/clearance-status/${lockedId}`, { key: h.keys.agent })
  assert.equal(status.body.status, 'denied')
  assert.equal(status.body.token, null)
  assert.equal(status.body.reason_code, 'agent_locked')
  assert.match(status.body.reason, /locked down \(investigating refunds\); no token was minted/)
  const events = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)
  const expired = events.filter((e) => e.requestId === lockedId)
  assert.deepEqual(expired.map((e) => [e.eventType, e.decisionStatus, e.approved]), [['review.expired', 'denied', false]])
  assert.equal((await h.server.context.store.getClearance(h.tenantA, lockedId))?.jti, null)
  // Control: once released, the same configuration approves an expired review with a token.
  await call(h.base, 'DELETE', `/drift/agents/${AGENT}/lockdown`, { key: h.keys.reviewer })
  const freeId = await pendingReview(h)
  clock.advance(61_000)
  assert.equal(await expireReviews(h.server.context, clock.now()), 1)
  const approved = await call(h.base, 'GET', `/clearance-status/${freeId}`, { key: h.keys.agent })
  assert.equal(approved.body.status, 'approved')
  assert.equal(typeof approved.body.token, 'string')
})

test('reviewer approval for a locked agent: 403 agent_locked, nothing written, the review stays pending', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pendingReview(h)
  await lock(h)
  const before = await tokensOf(h)
  const res = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true, reviewer_email: 'r@example.com' } })
  assert.equal(res.status, 403)
  assert.equal(res.body.code, 'agent_locked')
  assert.match(res.body.detail, /stays pending/)
  const row = await h.server.context.store.getClearance(h.tenantA, id)
  assert.equal(row?.status, 'pending_review')
  assert.equal(row?.token, null)
  assert.equal(await tokensOf(h), before)
  // Denying is still possible while locked.
  const deny = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: false } })
  assert.equal(deny.status, 200)
})

test('a slow decision that finishes after the lock: denied agent_locked, no token (background path)', async (t) => {
  let release!: (r: JudgeResult) => void
  const judge: Judge = { name: 'slow', judge: () => new Promise<JudgeResult>((resolve) => (release = resolve)) }
  const h = await startHarness(t, { judge, config: { decisionTimeoutMs: 100 } })
  const nl = { policy_id: 'nl', description: '', rules: ['Payments must be tied to an order.'], tools: ['create_stripe_payment'] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: nl })).status, 200)
  const first = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: SMALL })
  assert.equal(first.body.status, 'processing')
  await lock(h)
  release({ ok: true, verdict: { verdict: 'allow', confidence: 0.99, citedRules: ['nl/nl-0'], reason: 'order present' } })
  let final = first
  for (let i = 0; i < 100 && final.body.status === 'processing'; i++) {
    await new Promise((r) => setTimeout(r, 20))
    final = await call(h.base, 'GET', `/clearance-status/${first.body.request_id}`, { key: h.keys.agent })
  }
  assert.equal(final.body.status, 'denied')
  assert.equal(final.body.reason_code, 'agent_locked')
  assert.equal(final.body.token, null)
  assert.equal(await tokensOf(h), 0)
})

test('/mint-token for a locked agent: 403 agent_locked, no mint record; a pre-lock token is refused at the burn', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const first = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: SMALL })
  assert.equal(first.body.status, 'approved')
  const preLockToken = first.body.token as string
  await lock(h)
  const before = await tokensOf(h)
  const mint = await call(h.base, 'POST', '/mint-token', { key: h.keys.agent, body: { ...SMALL, original_request_id: first.body.request_id } })
  assert.equal(mint.status, 403)
  assert.equal(mint.body.code, 'agent_locked')
  assert.equal(await tokensOf(h), before)
  // The clearance path itself denies without evaluating policy.
  const again = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: SMALL })
  assert.deepEqual([again.body.status, again.body.reason_code, again.body.token], ['denied', 'agent_locked', null])
  // /clearance-status still shows what was issued before the lock; the burn refuses it.
  const status = await call(h.base, 'GET', `/clearance-status/${first.body.request_id}`, { key: h.keys.agent })
  assert.equal(status.body.token, preLockToken)
  const consumed = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token: preLockToken } })
  assert.equal(consumed.status, 403)
  assert.equal(consumed.body.code, 'agent_locked')
  const claims = JSON.parse(Buffer.from(preLockToken.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number }
  const header = JSON.parse(Buffer.from(preLockToken.split('.')[0]!, 'base64url').toString()) as { kid: string }
  const port = await h.server.vaultPort.burn({ token: preLockToken, jti: claims.jti, agentId: AGENT, expSeconds: claims.exp, kid: header.kid })
  assert.equal(port.ok, false)
  assert.equal(!port.ok && port.code, 'agent_locked')
  assert.equal(await h.server.context.store.isBurned(claims.jti), false)
})
