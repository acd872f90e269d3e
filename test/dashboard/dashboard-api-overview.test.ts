// GET /overview: the review queue at a glance (pending, oldest, expiring within two minutes, on an
// injected clock), locked agents, the last ledger verification and each channel's last delivery;
// tenant scoped, and not for agent keys.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { call } from '../vault/helpers.ts'
import { startReceiver } from '../notify/receiver.ts'
import { putChannels, requestReview, startNotifyHarness, waitForDeliveries, webhookChannel } from '../notify/setup.ts'

test('GET /overview: pending, oldest, expiring soon, locked agents, last verification, channel health', async (t) => {
  const t0 = Date.parse('2026-12-07T12:00:00Z')
  const clock = new ManualClock(t0)
  const h = await startNotifyHarness(t, {}, { clock, config: { reviewExpiryMs: 300_000 } })
  const empty = await call(h.base, 'GET', '/overview', { key: h.keys.reviewer })
  assert.equal(empty.status, 200, empty.text)
  assert.deepEqual(empty.body, {
    pending_reviews: 0,
    oldest_pending_at: null,
    expiring_soon: 0,
    locked_agents: [],
    last_verification: null,
    channels: [],
    server_time: '2026-12-07T12:00:00.000Z',
  })
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(`${rx.url}/hook`), { ...webhookChannel(`${rx.url}/quiet`), id: 'quiet', events: ['report.ready'] }])
  await requestReview(h)
  clock.advance(200_000)
  await requestReview(h, { amount: 1 }, 'create_stripe_payment', 'other-bot')
  await waitForDeliveries(h, 'delivered', 2)
  const lock = await call(h.base, 'POST', '/drift/agents/billing-bot/lockdown', { key: h.keys.reviewer, body: { reason: 'odd refunds' } })
  assert.equal(lock.status, 200, lock.text)
  assert.equal((await call(h.base, 'GET', '/ledger/verify', { key: h.keys.reviewer })).body.intact, true)
  await waitForDeliveries(h, 'delivered', 3)

  const res = await call(h.base, 'GET', '/overview', { key: h.keys.admin })
  assert.equal(res.status, 200, res.text)
  const o = res.body
  assert.equal(o.pending_reviews, 2)
  assert.equal(o.oldest_pending_at, '2026-12-07T12:00:00.000Z')
  // The first expires at t0+300 s, within two minutes of now (t0+200 s); the second at t0+500 s.
  assert.equal(o.expiring_soon, 1)
  assert.deepEqual(o.locked_agents, [{ agent_id: 'billing-bot', locked_at: '2026-12-07T12:03:20.000Z', actor: o.locked_agents[0].actor, reason: 'odd refunds' }])
  assert.equal(o.last_verification.intact, true)
  assert.equal(typeof o.last_verification.verified_at, 'string')
  assert.deepEqual(o.channels.map((c: Record<string, unknown>) => [c.id, c.type, c.last_status, c.last_status_code]), [
    ['hook', 'webhook', 'delivered', 200],
    ['quiet', 'webhook', null, null],
  ])
  assert.equal(o.channels[0].last_attempt_at, '2026-12-07T12:03:20.000Z')

  const other = await call(h.base, 'GET', '/overview', { key: h.keys.bAdmin })
  assert.deepEqual([other.body.pending_reviews, other.body.locked_agents, other.body.channels, other.body.last_verification], [0, [], [], null], 'nothing of tenant A')
  const agent = await call(h.base, 'GET', '/overview', { key: h.keys.agent })
  assert.deepEqual([agent.status, agent.body.code], [403, 'forbidden'])
  assert.equal((await call(h.base, 'GET', '/overview', {})).status, 401)
})
