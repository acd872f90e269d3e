// Issue 17, the signed webhook end to end: a review created, decided through the API and expired
// each reach a real receiver on loopback, signed as spec §8 says (checked by the receiver's own HMAC
// code), with the event id as idempotency key and the full canonical tool_args.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { call } from '../vault/helpers.ts'
import { startReceiver, verifyLedgixSignature } from './receiver.ts'
import { WEBHOOK_SECRET, putChannels, requestReview, startNotifyHarness, waitForDeliveries, webhookChannel } from './setup.ts'

test('review created → signed webhook with the full args; decided via the API → review.decided naming who and how', async (t) => {
  const h = await startNotifyHarness(t, { publicUrl: 'https://vault.example.com/' })
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(`${rx.url}/hook`)])
  const args = { amount: 2500, currency: 'USD', customer: { id: 'cus_1', tags: ['a', 'b'] } }
  const requestId = await requestReview(h, args)
  const [created] = await rx.waitFor(1)
  assert.equal(created!.path, '/hook')
  assert.ok(verifyLedgixSignature(created!.body, created!.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET), 'receiver verifies X-Ledgix-Signature')
  assert.match(created!.headers['x-ledgix-signature'] as string, /^sha256=[0-9a-f]{64}$/)
  const body = created!.json
  assert.equal(body.schema_version, 1)
  assert.equal(body.type, 'review.created')
  assert.equal(created!.headers['x-ledgix-event-id'], body.id)
  assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'event id is a UUIDv7')
  assert.equal(created!.headers['x-ledgix-key-id'], 'k1')
  const ts = created!.headers['x-ledgix-timestamp'] as string
  assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 30)
  const tsSig = createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${created!.body}`).digest('hex')
  assert.equal(created!.headers['x-ledgix-timestamp-signature'], `sha256=${tsSig}`)
  assert.deepEqual(body.review.tool_args, args, 'full canonical tool_args')
  assert.equal(body.review.request_id, requestId)
  assert.equal(body.review.agent_id, 'billing-bot')
  assert.equal(body.tenant_id, h.tenantA)
  assert.equal(body.links.review, `https://vault.example.com/reviews/${requestId}`)
  assert.ok(!created!.body.includes(WEBHOOK_SECRET), 'no secret in the body')

  const decision = await call(h.base, 'POST', `/reviews/${requestId}/decision`, {
    key: h.keys.reviewer,
    body: { approved: true, review_reason: 'looks right', reviewer_email: 'op@example.com' },
  })
  assert.equal(decision.status, 200)
  const [, decided] = await rx.waitFor(2)
  assert.ok(verifyLedgixSignature(decided!.body, decided!.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET))
  assert.equal(decided!.json.type, 'review.decided')
  assert.notEqual(decided!.json.id, body.id)
  assert.deepEqual(decided!.json.review.decision, {
    approved: true,
    decided_by: 'op@example.com',
    channel: 'api',
    review_reason: 'looks right',
    decided_at: decided!.json.review.decision.decided_at,
  })
  assert.ok(!decided!.body.includes(decision.body.token), 'the minted token is never in a notification')
  const delivered = await waitForDeliveries(h, 'delivered', 2)
  assert.equal(delivered.length, 2)
  assert.ok(delivered.every((d: any) => d.status === 'delivered' && d.attempts === 1 && d.last_status_code === 200))
  assert.equal(rx.received.length, 2, 'delivered once each')
})

test('review expiry → review.expired; review expiring soon → review.expiring once, however often the sweep runs', async (t) => {
  const h = await startNotifyHarness(t, { expiringLeadMs: 60_000 }, { config: { reviewExpiryMs: 2_000 } })
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(rx.url)])
  const requestId = await requestReview(h)
  // created, expiring (the 2 s expiry is inside the 60 s lead), then expired by the sweeper (≥ 1 s cadence).
  const got = await rx.waitFor(3, 15_000)
  const types = got.map((r) => r.json.type)
  assert.deepEqual(types, ['review.created', 'review.expiring', 'review.expired'])
  assert.ok(got.every((r) => r.json.review.request_id === requestId))
  assert.equal(got[2]!.json.review.decision.channel, 'system')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(rx.received.length, 3, 'no second review.expiring')
})

test('filters: event types, tool glob and agent glob are ANDed per channel', async (t) => {
  const h = await startNotifyHarness(t)
  const rx = await startReceiver(t)
  await putChannels(h, [
    webhookChannel(`${rx.url}/payments`, { id: 'payments', tools: ['create_*_payment'], agents: ['billing-*'], events: ['review.created'] }),
    webhookChannel(`${rx.url}/decided`, { id: 'decided', events: ['review.decided'] }),
    webhookChannel(`${rx.url}/off`, { id: 'off', enabled: false }),
  ])
  const a = await requestReview(h, { amount: 1 }, 'create_stripe_payment', 'billing-bot')
  await requestReview(h, { amount: 1 }, 'create_stripe_payment', 'support-bot')
  await requestReview(h, { n: 1 }, 'send_email', 'billing-bot')
  await call(h.base, 'POST', `/reviews/${a}/decision`, { key: h.keys.reviewer, body: { approved: false } })
  await rx.waitFor(2)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(rx.received.map((r) => `${r.path} ${r.json.type}`).sort(), ['/decided review.decided', '/payments review.created'])
})

test('no channels: the outbox stays empty; a failed decision write adds no outbox row', async (t) => {
  const h = await startNotifyHarness(t)
  const requestId = await requestReview(h)
  assert.deepEqual((await h.server.context.store.outboxDepth()), { pending: 0, dead: 0, oldestPendingAtMs: null })
  const rx = await startReceiver(t)
  rx.fallback = 'hang'
  await putChannels(h, [webhookChannel(rx.url)])
  const first = await call(h.base, 'POST', `/reviews/${requestId}/decision`, { key: h.keys.reviewer, body: { approved: false } })
  assert.equal(first.status, 200)
  const second = await call(h.base, 'POST', `/reviews/${requestId}/decision`, { key: h.keys.reviewer, body: { approved: true } })
  assert.equal(second.status, 409)
  await rx.waitFor(1)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const rows = await h.server.context.store.listOutbox(h.tenantA, null, 10)
  assert.deepEqual(rows.map((r) => r.eventType), ['review.decided'], 'only the winning decision wrote an outbox row')
  assert.equal(rx.received.length, 1)
})
