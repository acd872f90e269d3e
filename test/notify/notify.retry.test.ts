// Issue 17 delivery faults against a real receiver: down for N attempts then up (delivered once,
// backoff visible in the arrival times), always failing (dead-lettered after the cap, listed, retried
// by the API), hanging past the per-attempt deadline, and 429 with Retry-After.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelayMs } from '../../src/notify/index.ts'
import { call } from '../vault/helpers.ts'
import { startReceiver } from './receiver.ts'
import { putChannels, requestReview, startNotifyHarness, waitForDeliveries, webhookChannel } from './setup.ts'

test('receiver down for 2 attempts, then up: delivered once with the same event id, backoff between attempts', async (t) => {
  // Full jitter pinned near its top so the gaps show the exponential ceilings: ~200 then ~400 ms.
  const h = await startNotifyHarness(t, { maxAttempts: 5, backoffBaseMs: 200 }, { notifyRandom: () => 0.999 })
  const rx = await startReceiver(t)
  rx.script = [500, 500]
  await putChannels(h, [webhookChannel(rx.url)])
  await requestReview(h)
  const got = await rx.waitFor(3)
  const [d] = await waitForDeliveries(h, 'delivered', 1)
  assert.equal(d.attempts, 3)
  assert.equal(new Set(got.map((r) => r.headers['x-ledgix-event-id'])).size, 1, 'every attempt carries the same event id')
  assert.deepEqual(got.map((r) => r.headers['x-ledgix-attempt']), ['1', '2', '3'])
  const gap1 = got[1]!.atMs - got[0]!.atMs
  const gap2 = got[2]!.atMs - got[1]!.atMs
  assert.ok(gap1 >= 180, `first retry waited ~200 ms (${gap1})`)
  assert.ok(gap2 >= 380, `second retry waited ~400 ms, twice as long (${gap2})`)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(rx.received.length, 3, 'nothing sent after the success')
})

test('backoff: exponential ceiling, full jitter in [0, ceiling), capped, Retry-After honoured up to the cap', () => {
  assert.equal(backoffDelayMs(1, 100, 10_000, () => 0.999999, null), 99)
  assert.equal(backoffDelayMs(3, 100, 10_000, () => 0.999999, null), 399)
  assert.equal(backoffDelayMs(20, 100, 10_000, () => 0.999999, null), 9_999)
  assert.equal(backoffDelayMs(4, 100, 10_000, () => 0, null), 0)
  assert.equal(backoffDelayMs(1, 100, 10_000, () => 0, 5_000), 5_000)
  assert.equal(backoffDelayMs(1, 100, 10_000, () => 0, 60_000), 10_000)
  for (let attempt = 1; attempt < 12; attempt++) {
    const d = backoffDelayMs(attempt, 100, 2_000, Math.random, null)
    assert.ok(d >= 0 && d < Math.min(2_000, 100 * 2 ** (attempt - 1)))
  }
})

test('receiver always failing: dead-lettered after the attempt cap, listed, and a retry delivers it', async (t) => {
  const h = await startNotifyHarness(t, { maxAttempts: 3 })
  const rx = await startReceiver(t)
  rx.fallback = 500
  await putChannels(h, [webhookChannel(rx.url)])
  await requestReview(h)
  const [dead] = await waitForDeliveries(h, 'dead', 1)
  assert.equal(dead.attempts, 3)
  assert.equal(dead.last_status_code, 500)
  assert.match(dead.last_error, /receiver answered 500/)
  assert.equal(rx.received.length, 3, 'exactly the capped number of attempts')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(rx.received.length, 3, 'a dead letter is not retried by itself')

  const agentRetry = await call(h.base, 'POST', `/notifications/deliveries/${dead.delivery_id}/retry`, { key: h.keys.agent })
  assert.equal(agentRetry.status, 403)
  const otherTenant = await call(h.base, 'POST', `/notifications/deliveries/${dead.delivery_id}/retry`, { key: h.keys.bAdmin })
  assert.equal(otherTenant.status, 404, 'another tenant cannot see or retry it')
  rx.fallback = 200
  const retry = await call(h.base, 'POST', `/notifications/deliveries/${dead.delivery_id}/retry`, { key: h.keys.reviewer })
  assert.equal(retry.status, 200)
  assert.equal(retry.body.status, 'pending')
  const [delivered] = await waitForDeliveries(h, 'delivered', 1)
  assert.equal(delivered.delivery_id, dead.delivery_id)
  assert.equal(rx.received.length, 4)
  assert.equal(rx.received[3]!.headers['x-ledgix-event-id'], rx.received[0]!.headers['x-ledgix-event-id'])
  const again = await call(h.base, 'POST', `/notifications/deliveries/${dead.delivery_id}/retry`, { key: h.keys.reviewer })
  assert.equal(again.status, 400, 'only dead letters can be retried')
  const bad = await call(h.base, 'GET', '/notifications/deliveries?status=bogus', { key: h.keys.admin })
  assert.equal(bad.status, 400)
})

test('a hanging receiver: the attempt is abandoned at its deadline and retried; 429 is retried too', async (t) => {
  const h = await startNotifyHarness(t, { attemptTimeoutMs: 300, maxAttempts: 4 })
  const rx = await startReceiver(t)
  rx.script = ['hang', 429]
  await putChannels(h, [webhookChannel(rx.url)])
  await requestReview(h)
  const [d] = await waitForDeliveries(h, 'delivered', 1)
  assert.equal(d.attempts, 3)
  const got = rx.received
  assert.equal(got.length, 3)
  assert.ok(got[1]!.atMs - got[0]!.atMs >= 250, `second attempt only after the first one's deadline (${got[1]!.atMs - got[0]!.atMs} ms)`)
})
