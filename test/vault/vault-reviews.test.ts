// The review queue: listing with full args and paging, exactly one decision per request, roles
// (agents may only cancel), approval minting a token bound to the original args, lockdown blocking
// approval, and expiry with the configured effect.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { toolArgsHash } from '../../src/token/index.ts'
import { call, registerPayments, startHarness, type Harness } from './helpers.ts'

const BIG = { tool_name: 'create_stripe_payment', tool_args: { amount: 5000, customer_id: 'cus_9', note: 'x'.repeat(600) }, agent_id: 'payments-agent' }

async function pending(h: Harness, key = h.keys.agent): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', { key, body: BIG })
  assert.equal(res.body.status, 'pending_review')
  return res.body.request_id as string
}

test('GET /reviews lists pending items with full arguments, paged by cursor, per tenant', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const ids = [await pending(h), await pending(h), await pending(h)]
  const page1 = await call(h.base, 'GET', '/reviews?status=pending_review&limit=2', { key: h.keys.reviewer })
  assert.equal(page1.status, 200)
  assert.equal(page1.body.reviews.length, 2)
  assert.equal(page1.body.reviews[0].tool_args.note.length, 600, 'arguments never truncated')
  const page2 = await call(h.base, 'GET', `/reviews?limit=2&cursor=${page1.body.next_cursor}`, { key: h.keys.reviewer })
  assert.deepEqual([...page1.body.reviews, ...page2.body.reviews].map((r: { request_id: string }) => r.request_id).sort(), [...ids].sort())
  assert.equal(page2.body.next_cursor, null)
  const other = await call(h.base, 'GET', '/reviews', { key: h.keys.bAdmin })
  assert.deepEqual(other.body.reviews, [])
  assert.equal((await call(h.base, 'GET', '/reviews?limit=abc', { key: h.keys.reviewer })).status, 400)
  assert.equal((await call(h.base, 'GET', '/reviews?cursor=garbage', { key: h.keys.reviewer })).status, 400)
})

test('an agent key cannot approve; a reviewer approval mints a token bound to the original args; a second decision is 409', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  const byAgent = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.agent, body: { approved: true } })
  assert.equal(byAgent.status, 403)
  const approve = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true, review_reason: 'ok', reviewer_email: 'ops@example.com' } })
  assert.equal(approve.status, 200)
  assert.equal(approve.body.decision_status, 'approved')
  const status = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
  assert.equal(status.body.status, 'approved')
  assert.equal(status.body.token, approve.body.token)
  const claims = JSON.parse(Buffer.from(status.body.token.split('.')[1], 'base64url').toString()) as { tool_args_hash: string; request_id: string }
  assert.equal(claims.tool_args_hash, toolArgsHash(BIG.tool_args))
  assert.equal(claims.request_id, id)
  const second = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.admin, body: { approved: false } })
  assert.equal(second.status, 409)
  assert.equal(second.body.code, 'review_already_decided')
  const racing = await pending(h)
  const both = await Promise.all([
    call(h.base, 'POST', `/reviews/${racing}/decision`, { key: h.keys.reviewer, body: { approved: true } }),
    call(h.base, 'POST', `/reviews/${racing}/decision`, { key: h.keys.admin, body: { approved: false } }),
  ])
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 409])
  const events = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)
  assert.deepEqual(events.map((e) => e.eventType), ['review', 'review'], 'one event per decided review')
})

test('the agent cancel body (spec §3.4) denies the request; another tenant gets 404', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  const foreign = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.bAdmin, body: { approved: false } })
  assert.equal(foreign.status, 404)
  const cancel = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.agent, body: { approved: false, review_reason: 'cancelled by agent' } })
  assert.equal(cancel.status, 200)
  const status = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
  assert.deepEqual([status.body.status, status.body.decision_status, status.body.reason_code], ['denied', 'denied', 'cancelled_by_agent'])
  const events = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)
  assert.deepEqual(events.map((e) => e.eventType), ['review.cancelled_by_agent'])
  assert.equal((await call(h.base, 'POST', '/reviews/nope/decision', { key: h.keys.reviewer, body: { approved: true } })).status, 404)
  assert.equal((await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: 'yes' } })).status, 400)
})

test('a locked agent\'s review cannot be approved until the lock is released', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  await call(h.base, 'POST', '/drift/agents/payments-agent/lockdown', { key: h.keys.reviewer, body: { reason: 'investigating' } })
  const blocked = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true } })
  assert.equal(blocked.status, 403)
  assert.equal(blocked.body.code, 'agent_locked')
  await call(h.base, 'DELETE', '/drift/agents/payments-agent/lockdown', { key: h.keys.reviewer, body: { reason: 'reviewed' } })
  assert.equal((await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true } })).status, 200)
})

test('review expiry resolves pending reviews with the configured effect (deny)', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock, config: { reviewExpiryMs: 60_000 } })
  await registerPayments(h)
  const id = await pending(h)
  clock.advance(61_000)
  const { expireReviews } = await import('../../src/vault/reviews.ts')
  assert.equal(await expireReviews(h.server.context, clock.now()), 1)
  const status = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
  assert.deepEqual([status.body.status, status.body.decision_status, status.body.reason_code], ['denied', 'denied', 'review_expired'])
  assert.equal((await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true } })).status, 409)
})
