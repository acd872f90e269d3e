// Issue 17 leftover: the decision channel is a stored field set by whoever decides (API `api`, Slack
// `slack`, the dashboard `dashboard`, the Vault `system`), and notifications and reports read it
// instead of guessing from the reviewer's name.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ApiKeyId } from '../../src/core/index.ts'
import { reviewsOf } from '../../src/reports/population.ts'
import type { AuthContext } from '../../src/vault/index.ts'
import { decideReview } from '../../src/vault/reviews.ts'
import { startReceiver } from '../notify/receiver.ts'
import { putChannels, requestReview, startNotifyHarness, webhookChannel } from '../notify/setup.ts'
import { call } from './helpers.ts'

test('decided through the dashboard path → stored channel dashboard, review.decided says via dashboard; an API decision says api', async (t) => {
  const h = await startNotifyHarness(t)
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(rx.url, { events: ['review.decided'] })])
  const fromDashboard = await requestReview(h)
  const fromApi = await requestReview(h)
  const session: AuthContext = { tenantId: h.tenantA, keyId: 'user:0190-test' as ApiKeyId, role: 'reviewer', keyName: 'ana@example.com' }
  const outcome = await decideReview(h.server.context, session, fromDashboard, { approved: true, reviewReason: 'looks right', reviewerEmail: 'ana@example.com', channel: 'dashboard' })
  assert.equal(outcome.ok, true)
  // Any reviewer name over the API is just a name: the channel is the API's.
  const api = await call(h.base, 'POST', `/reviews/${fromApi}/decision`, { key: h.keys.reviewer, body: { approved: false, reviewer_email: 'slackbot-team@example.com' } })
  assert.equal(api.status, 200, api.text)

  const store = h.server.context.store
  assert.equal((await store.getClearance(h.tenantA, fromDashboard))?.decisionChannel, 'dashboard')
  assert.equal((await store.getClearance(h.tenantA, fromApi))?.decisionChannel, 'api')
  const got = await rx.waitFor(2)
  const byId = new Map(got.map((r) => [r.json.review.request_id, r.json.review.decision]))
  assert.deepEqual([byId.get(fromDashboard).channel, byId.get(fromDashboard).decided_by], ['dashboard', 'ana@example.com'])
  assert.equal(byId.get(fromApi).channel, 'api')
})

test('the reviews section of a report shows the stored channel', async (t) => {
  const h = await startNotifyHarness(t)
  const id = await requestReview(h)
  const session: AuthContext = { tenantId: h.tenantA, keyId: 'user:0190-test' as ApiKeyId, role: 'admin', keyName: 'ana@example.com' }
  assert.equal((await decideReview(h.server.context, session, id, { approved: true, reviewReason: '', reviewerEmail: 'ana@example.com', channel: 'dashboard' })).ok, true)
  const clearance = await h.server.context.store.getClearance(h.tenantA, id)
  const row = { seq: 2, requestId: id, eventType: 'review', toolName: 'create_stripe_payment', agentId: 'billing-bot', policyId: '', decisionStatus: 'approved', approved: true, acceptedAtMs: clearance!.updatedAtMs, leafHash: '', leafIndex: null, checkpointId: null, receiptKid: '' }
  const [facts] = reviewsOf([{ row, clearance, token: 'none' }])
  assert.equal(facts?.channel, 'dashboard')
})
