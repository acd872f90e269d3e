// report.ready end to end: a report generated through the real API (POST /reports, the worker builds
// it) reaches a real loopback webhook receiver as exactly one signed `report.ready` event carrying
// what identifies and checks the report (id, title, period, formats, JSON SHA-256, exceptions, the
// dashboard link) and no token; a channel filtered to other event types gets nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call } from '../vault/helpers.ts'
import { startReceiver, verifyLedgixSignature } from './receiver.ts'
import { WEBHOOK_SECRET, putChannels, requestReview, startNotifyHarness, waitForDeliveries, webhookChannel } from './setup.ts'

test('a report reaching ready → one signed report.ready event with the documented body; other-type channels get nothing', async (t) => {
  const h = await startNotifyHarness(t, { publicUrl: 'https://vault.example.com/' })
  const rx = await startReceiver(t)
  const other = await startReceiver(t)
  const fromMs = Date.now() - 1000
  await requestReview(h)
  await putChannels(h, [
    webhookChannel(`${rx.url}/hook`, { events: ['report.ready'] }),
    webhookChannel(`${other.url}/other`, { id: 'other', events: ['review.created', 'review.decided', 'agent.locked', 'report.failed'] }),
  ])
  await new Promise((r) => setTimeout(r, 5))
  const posted = await call(h.base, 'POST', '/reports', {
    key: h.keys.admin,
    body: { title: 'Q4 controls', period_from: new Date(fromMs).toISOString(), period_to: new Date(h.server.context.clock.now()).toISOString(), formats: ['json', 'csv'] },
  })
  assert.equal(posted.status, 202, posted.text)
  const reportId = posted.body.report_id as string
  await h.server.context.reports.idle()
  const report = (await call(h.base, 'GET', `/reports/${reportId}`, { key: h.keys.reviewer })).body
  assert.equal(report.status, 'ready', JSON.stringify(report))

  const [got] = await rx.waitFor(1)
  assert.equal(got!.path, '/hook')
  assert.ok(verifyLedgixSignature(got!.body, got!.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET), 'receiver verifies X-Ledgix-Signature')
  const body = got!.json
  assert.equal(body.schema_version, 1)
  assert.equal(body.type, 'report.ready')
  assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'event id is a UUIDv7')
  assert.equal(got!.headers['x-ledgix-event-id'], body.id)
  assert.equal(body.tenant_id, h.tenantA)
  assert.ok(Math.abs(Date.parse(body.occurred_at) - Date.parse(report.updated_at)) < 1000)
  assert.deepEqual(body.report, {
    report_id: reportId,
    title: 'Q4 controls',
    status: 'ready',
    period: { from: report.period_from, to: report.period_to },
    formats: ['json', 'csv'],
    json_sha256: report.json_sha256,
    exceptions: report.exceptions,
    error: null,
  })
  assert.match(body.report.json_sha256, /^[0-9a-f]{64}$/)
  assert.equal(typeof body.report.exceptions, 'number')
  assert.equal(body.links.report, `https://vault.example.com/reports/${reportId}`)
  assert.equal(body.links.review, null)
  assert.equal(body.review, null)
  assert.ok(!got!.body.includes(WEBHOOK_SECRET), 'no channel secret in the body')
  assert.ok(!/share|token/i.test(got!.body), 'no share link or token in the body')

  // Settle, then prove "exactly one": no second report.ready, nothing on the other channel.
  await waitForDeliveries(h, 'delivered', 1)
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(rx.received.length, 1, 'exactly one report.ready')
  assert.equal(other.received.length, 0, 'a channel filtered to other event types gets nothing')
  const all = (await call(h.base, 'GET', '/notifications/deliveries?status=all', { key: h.keys.admin })).body.deliveries
  assert.deepEqual(all.map((d: any) => [d.channel_id, d.event_type]), [['hook', 'report.ready']])
})

test('without vault_server.public_url the report link is null; an unfiltered channel receives report.ready', async (t) => {
  const h = await startNotifyHarness(t)
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(`${rx.url}/hook`)])
  await new Promise((r) => setTimeout(r, 5))
  const posted = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body: { period_from: new Date(Date.now() - 60_000).toISOString(), period_to: new Date(h.server.context.clock.now()).toISOString() } })
  assert.equal(posted.status, 202, posted.text)
  const [got] = await rx.waitFor(1)
  assert.equal(got!.json.type, 'report.ready', 'a channel without an events filter gets report events too (empty = all)')
  assert.equal(got!.json.report.report_id, posted.body.report_id)
  assert.equal(got!.json.links.report, null)
})

test('a build that fails → one report.failed event with the operator-facing error, no hash, no exceptions', async (t) => {
  const h = await startNotifyHarness(t)
  const rx = await startReceiver(t)
  const ready = await startReceiver(t)
  await putChannels(h, [
    webhookChannel(`${rx.url}/hook`, { events: ['report.failed'] }),
    webhookChannel(`${ready.url}/ready`, { id: 'ready', events: ['report.ready'] }),
  ])
  // The same fault the worker test injects: the ledger scan breaks mid-build.
  const store = h.server.context.store
  const original = store.listLedgerEvents.bind(store)
  store.listLedgerEvents = async () => {
    throw new Error('disk went away')
  }
  t.after(() => {
    store.listLedgerEvents = original
  })
  await new Promise((r) => setTimeout(r, 5))
  const posted = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body: { period_from: new Date(Date.now() - 60_000).toISOString(), period_to: new Date(h.server.context.clock.now()).toISOString() } })
  assert.equal(posted.status, 202, posted.text)
  await h.server.context.reports.idle()
  const report = (await call(h.base, 'GET', `/reports/${posted.body.report_id}`, { key: h.keys.reviewer })).body
  assert.equal(report.status, 'failed')
  const [got] = await rx.waitFor(1)
  assert.ok(verifyLedgixSignature(got!.body, got!.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET))
  assert.equal(got!.json.type, 'report.failed')
  assert.deepEqual(got!.json.report, {
    report_id: posted.body.report_id,
    title: report.title,
    status: 'failed',
    period: { from: report.period_from, to: report.period_to },
    formats: report.formats,
    json_sha256: null,
    exceptions: null,
    error: report.error,
  })
  assert.doesNotMatch(got!.body, /disk went away/, 'the cause stays in the log')
  await waitForDeliveries(h, 'delivered', 1)
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(rx.received.length, 1)
  assert.equal(ready.received.length, 0)
})
