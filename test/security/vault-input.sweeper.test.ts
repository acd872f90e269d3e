// Issue 16 §5: pending reviews whose stored content the ledger cannot encode — only rows written by
// versions before admission checked everything (a lone surrogate, nesting past CBOR's bound) — are
// never expired silently in a loop: the sweeper logs each one (error, with its request id), counts it
// on /metrics, sets it aside and reads past it, so the reviews behind it still expire. Deciding one
// by hand is a 409 record_not_ledgerable problem, never a 500.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, uuidv7 } from '../../src/core/index.ts'
import { GatewayMetrics, createRootLogger } from '../../src/observability/index.ts'
import type { ClearanceRecord } from '../../src/store/index.ts'
import { LogSink } from '../helpers/gateway-harness.ts'
import { call, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'

const EXPIRY_MS = 60_000

/** A pending review made through the API (amount above 1000 → review). */
async function pendingReview(h: Harness): Promise<ClearanceRecord> {
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'create_stripe_payment', tool_args: { amount: 5000 }, agent_id: 'a' } })
  assert.equal(res.body.status, 'pending_review', res.text)
  const record = await h.server.context.store.getClearance(h.tenantA, res.body.request_id)
  assert.ok(record !== null)
  return record
}

/** Rows as an older version stored them: content that admission now refuses, written straight to the store. */
async function storeLegacyRows(h: Harness, template: ClearanceRecord, count: number, deepToo = true): Promise<string[]> {
  let deep: unknown = 1
  for (let i = 0; i < 1500; i++) deep = { n: deep }
  const rows: ClearanceRecord[] = []
  for (let i = 0; i < count; i++) {
    rows.push({ ...template, requestId: uuidv7(), toolArgs: i % 2 === 0 || !deepToo ? { amount: 5000, memo: '\ud800' } : { amount: 5000, memo: deep }, reviewExpiresAtMs: template.reviewExpiresAtMs! - 1000 })
  }
  const result = await h.server.context.store.write(rows.map((clearance) => ({ op: 'clearance_insert' as const, clearance })))
  assert.ok(result.ok)
  return rows.map((r) => r.requestId)
}

test('unledgerable legacy reviews: logged once, counted on /metrics, set aside; the review behind them still expires', async (t) => {
  const clock = new ManualClock(Date.now())
  const sink = new LogSink()
  const h = await startHarness(t, { clock, config: { reviewExpiryMs: EXPIRY_MS }, logger: createRootLogger({ level: 'info', destination: sink }).child({ component: 'vault' }) })
  await registerPayments(h)
  const real = await pendingReview(h)
  const legacy = await storeLegacyRows(h, real, 2)
  clock.advance(EXPIRY_MS + 1)
  const sweeper = h.server.reviewSweeper

  const first = await sweeper.sweep(clock.now())
  assert.deepEqual(first, { expired: 1, failed: 2 })
  assert.deepEqual(sweeper.stats, { failures: 2, unledgerable: 2 })
  const errors = sink.lines.filter((l) => l['component'] === 'review-sweeper')
  assert.equal(errors.length, 2)
  for (const line of errors) assert.equal(line['level'], 'error')
  assert.deepEqual(errors.map((l) => l['request_id']).sort(), [...legacy].sort())
  assert.equal((await h.server.context.store.getClearance(h.tenantA, real.requestId))!.reviewState, 'expired')

  // The next pass does not retry, re-log or re-count them.
  assert.deepEqual(await sweeper.sweep(clock.now()), { expired: 0, failed: 0 })
  assert.deepEqual(sweeper.stats, { failures: 2, unledgerable: 2 })
  assert.equal(sink.lines.filter((l) => l['component'] === 'review-sweeper').length, 2)

  const metrics = new GatewayMetrics()
  metrics.setReviewSweepSource(() => sweeper.stats)
  const text = await metrics.render()
  assert.match(text, /^ledgix_vault_review_expiry_failures_total 2$/m)
  assert.match(text, /^ledgix_vault_reviews_unledgerable 2$/m)

  // A reviewer's decision on such a row: a 409 problem that says why, and the row is unchanged.
  for (const id of legacy) {
    for (const [key, approved] of [[h.keys.reviewer, false], [h.keys.reviewer, true], [h.keys.agent, false]] as const) {
      const res = await call(h.base, 'POST', `/reviews/${id}/decision`, { key, body: { approved } })
      assert.equal(res.status, 409, res.text)
      assert.equal(res.body.code, 'record_not_ledgerable')
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
    }
    assert.equal((await h.server.context.store.getClearance(h.tenantA, id))!.status, 'pending_review')
  }
  const verify = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.agent })
  assert.equal(verify.body.intact, true)
})

test('more unledgerable rows than one sweep batch cannot starve the reviews behind them', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startHarness(t, { clock, config: { reviewExpiryMs: EXPIRY_MS } })
  await registerPayments(h)
  const real = await pendingReview(h)
  // All expire before the real one, so they fill the first batch (500) and more.
  await storeLegacyRows(h, real, 520, false)
  clock.advance(EXPIRY_MS + 1)
  const sweeper = h.server.reviewSweeper
  const first = await sweeper.sweep(clock.now())
  assert.equal(first.expired, 0)
  assert.equal(first.failed, 500)
  const second = await sweeper.sweep(clock.now())
  assert.deepEqual(second, { expired: 1, failed: 20 }, 'the second pass reads past the 500 set aside')
  assert.equal((await h.server.context.store.getClearance(h.tenantA, real.requestId))!.reviewState, 'expired')
  assert.deepEqual(sweeper.stats, { failures: 520, unledgerable: 520 })
})
