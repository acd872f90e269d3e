// Issue 16, class 5: a review decision records both identities — the API key that authenticated it
// (key id and role) and the reviewer it claims (`reviewer_email`, unverified) — in the store and in the
// decision and review responses; one never replaces the other. The v3 ledger event has no field for
// either (its hash rule is fixed), so the ledger row is unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { expireReviews } from '../../src/vault/reviews.ts'
import { call, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'

const BIG = { tool_name: 'create_stripe_payment', tool_args: { amount: 5000, customer_id: 'cus_9' }, agent_id: 'payments-agent' }

async function pending(h: Harness): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: BIG })
  assert.equal(res.body.status, 'pending_review')
  return res.body.request_id as string
}

async function keyIdOf(h: Harness, name: string): Promise<string> {
  const key = (await h.server.context.store.listApiKeys(h.tenantA)).find((k) => k.name === name)
  assert.ok(key !== undefined)
  return key.keyId
}

test('approval with reviewer_email: the claimed email AND the authenticating key are recorded and shown', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  const reviewerKeyId = await keyIdOf(h, 'reviewer')
  const res = await call(h.base, 'POST', `/reviews/${id}/decision`, {
    key: h.keys.reviewer,
    body: { approved: true, reviewer_email: 'ceo@example.com', review_reason: 'ok' },
  })
  assert.equal(res.status, 200)
  assert.equal(res.body.reviewer, 'ceo@example.com')
  assert.equal(res.body.decided_by_key_id, reviewerKeyId)
  assert.equal(res.body.decided_by_role, 'reviewer')
  const row = await h.server.context.store.getClearance(h.tenantA, id)
  assert.deepEqual([row?.reviewer, row?.decidedByKeyId, row?.decidedByRole], ['ceo@example.com', reviewerKeyId, 'reviewer'])
  const listed = await call(h.base, 'GET', '/reviews?status=all', { key: h.keys.reviewer })
  const item = (listed.body.reviews as Array<Record<string, unknown>>).find((r) => r.request_id === id)
  assert.deepEqual([item?.reviewer, item?.decided_by_key_id, item?.decided_by_role], ['ceo@example.com', reviewerKeyId, 'reviewer'])
  const status = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
  assert.equal(status.body.decided_by_key_id, reviewerKeyId)
})

test('without reviewer_email the key identity stands alone; an agent\'s cancel records the agent key', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const denied = await pending(h)
  const res = await call(h.base, 'POST', `/reviews/${denied}/decision`, { key: h.keys.admin, body: { approved: false } })
  assert.equal(res.body.reviewer, 'admin:admin')
  assert.equal(res.body.decided_by_key_id, await keyIdOf(h, 'admin'))
  assert.equal(res.body.decided_by_role, 'admin')
  const cancelled = await pending(h)
  const cancel = await call(h.base, 'POST', `/reviews/${cancelled}/decision`, { key: h.keys.agent, body: { approved: false, reviewer_email: 'someone@else' } })
  assert.equal(cancel.body.decided_by_key_id, await keyIdOf(h, 'agent'))
  assert.equal(cancel.body.decided_by_role, 'agent')
  assert.equal(cancel.body.reviewer, 'someone@else')
})

test('policy and expiry decisions name no deciding key (the fields are absent from the clearance response)', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock, config: { reviewExpiryMs: 1_000 } })
  await registerPayments(h)
  const id = await pending(h)
  clock.advance(2_000)
  assert.equal(await expireReviews(h.server.context, clock.now()), 1)
  const row = await h.server.context.store.getClearance(h.tenantA, id)
  assert.equal(row?.decidedByKeyId, null)
  assert.equal(row?.reviewer, 'system:review-expiry')
  const status = await call(h.base, 'GET', `/clearance-status/${id}`, { key: h.keys.agent })
  assert.equal('decided_by_key_id' in status.body, false)
})

test('an API caller cannot claim the Slack or system reviewer namespace: 400, nothing decided', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const id = await pending(h)
  for (const claimed of ['slack:U123', 'SLACK:U123', ' slack:U1', 'system:review-expiry', 'System:x']) {
    const res = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true, reviewer_email: claimed } })
    assert.equal(res.status, 400, `${claimed}: ${res.text}`)
    assert.equal(res.body.code, 'invalid_request')
    assert.match(res.body.detail, /^body\.reviewer_email: /)
  }
  assert.equal((await h.server.context.store.getClearance(h.tenantA, id))?.status, 'pending_review')
  // An ordinary claimed reviewer still decides.
  const ok = await call(h.base, 'POST', `/reviews/${id}/decision`, { key: h.keys.reviewer, body: { approved: true, reviewer_email: 'slackbot@example.com' } })
  assert.equal(ok.status, 200, ok.text)
})
