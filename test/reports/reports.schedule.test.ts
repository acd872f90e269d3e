// Scheduled reports (report settings `schedule`) with an injected clock: one report per completed
// UTC period, exactly once — across ticks, across a restart, and when a second scheduler races for the
// same period on the same store (its claim is refused by the store's unique key and it writes
// nothing) — delivered as report.ready to the channels the schedule names: a real webhook receiver and
// a real SMTP server, with no share token and no secret in either.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { ReportScheduler, completedPeriods, periodStart } from '../../src/reports/index.ts'
import type { Store } from '../../src/store/index.ts'
import { startVaultServer } from '../../src/vault/index.ts'
import { call, vaultConfig } from '../vault/helpers.ts'
import { startReceiver, verifyLedgixSignature } from '../notify/receiver.ts'
import { WEBHOOK_SECRET, fastNotify, putChannels, startNotifyHarness, webhookChannel } from '../notify/setup.ts'
import { SMTP_PASSWORD, SMTP_USER, mimePart, startSmtp } from '../notify/smtp-server.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
const iso = (ms: number): string => new Date(ms).toISOString()

test('UTC periods: day, ISO week from Monday, month, quarter; completed periods after `since`, bounded', () => {
  const t = Date.parse('2026-11-18T13:45:00Z') // a Wednesday
  assert.equal(iso(periodStart('daily', t)), '2026-11-18T00:00:00.000Z')
  assert.equal(iso(periodStart('weekly', t)), '2026-11-16T00:00:00.000Z')
  assert.equal(iso(periodStart('weekly', Date.parse('2026-11-22T23:59:59Z'))), '2026-11-16T00:00:00.000Z', 'Sunday belongs to the week that began on Monday')
  assert.equal(iso(periodStart('monthly', t)), '2026-11-01T00:00:00.000Z')
  assert.equal(iso(periodStart('quarterly', t)), '2026-10-01T00:00:00.000Z')
  assert.equal(iso(periodStart('quarterly', Date.parse('2026-03-31T23:00:00Z'))), '2026-01-01T00:00:00.000Z')
  assert.deepEqual(completedPeriods('monthly', Date.parse('2026-09-15T00:00:00Z'), t).map(([a, b]) => `${iso(a)} ${iso(b)}`), [
    '2026-09-01T00:00:00.000Z 2026-10-01T00:00:00.000Z',
    '2026-10-01T00:00:00.000Z 2026-11-01T00:00:00.000Z',
  ])
  assert.deepEqual(completedPeriods('daily', t - 1000, t), [], 'enabled today: no completed day yet')
  assert.equal(completedPeriods('daily', 0, t, 7).length, 7, 'catch-up is bounded')
  assert.equal(completedPeriods('quarterly', Date.parse('2026-12-31T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))[0]![1], Date.parse('2027-01-01T00:00:00Z'))
})

test('PUT /report-settings schedule: validated, since is server-managed', async (t) => {
  const clock = new ManualClock(Date.now())
  const h = await startNotifyHarness(t, {}, { clock, reportScheduleTickMs: HOUR })
  const bad = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { schedule: { period: 'hourly' } } })
  assert.equal(bad.status, 400)
  assert.match(bad.body.detail, /schedule\.period: expected one of off, daily, weekly, monthly, quarterly/)
  const badChannel = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { schedule: { channels: ['has space'] } } })
  assert.equal(badChannel.status, 400)
  assert.match(badChannel.body.detail, /schedule\.channels\[0\]/)
  // `since` is the Vault's: a client's value (a backdated one here) is ignored, so a GET's document
  // can be PUT back as is.
  const ok = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { schedule: { period: 'daily', channels: ['hook'], since: '2020-01-01T00:00:00Z' } } })
  assert.equal(ok.status, 200, ok.text)
  assert.deepEqual(ok.body.schedule, { period: 'daily', channels: ['hook'], since: iso(clock.now()) })
  const roundTrip = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: (await call(h.base, 'GET', '/report-settings', { key: h.keys.admin })).body })
  assert.equal(roundTrip.status, 200, roundTrip.text)
  assert.deepEqual(roundTrip.body.schedule, ok.body.schedule)
  clock.advance(HOUR)
  const same = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { schedule: { channels: [] } } })
  assert.equal(same.body.schedule.since, ok.body.schedule.since, 'same period kind: since stays')
  const off = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { schedule: { period: 'off' } } })
  assert.equal(off.body.schedule.since, null)
  const got = await call(h.base, 'GET', '/report-settings', { key: h.keys.reviewer })
  assert.deepEqual(got.body.schedule, { period: 'off', channels: [], since: null })
})

async function scheduledReports(store: Store, tenant: TenantId): Promise<Array<{ id: string; from: string; to: string; status: string; by: string }>> {
  const rows = await store.listReports(tenant, null, 100)
  return rows.filter((r) => r.requestedBy.startsWith('schedule:')).map((r) => ({ id: r.reportId, from: iso(r.periodFromMs), to: iso(r.periodToMs), status: r.status, by: r.requestedBy })).reverse()
}

test('daily schedule: exactly one report per completed day, across ticks and a restart; report.ready reaches the named webhook and email channels', async (t) => {
  const smtp = await startSmtp(t)
  const rx = await startReceiver(t)
  const start = Date.now()
  const clock = new ManualClock(start)
  const notify = {
    attemptTimeoutMs: 10_000,
    smtp: { host: 'localhost', port: smtp.port, secure: false, requireTls: true, user: SMTP_USER, password: SMTP_PASSWORD, from: 'ledgix@example.com', caFile: smtp.caFile },
  }
  const h = await startNotifyHarness(t, notify, { clock, reportScheduleTickMs: HOUR })
  // Neither channel subscribes to report.ready: the schedule naming them is what routes the event.
  await putChannels(h, [
    webhookChannel(`${rx.url}/hook`, { events: ['review.created'] }),
    { id: 'auditors', type: 'email', recipients: ['auditor@example.com'], events: ['review.created'] },
  ])
  const put = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { formats: ['json', 'csv'], schedule: { period: 'daily', channels: ['hook', 'auditors'] } } })
  assert.equal(put.status, 200, put.text)
  const scheduler = h.server.reportScheduler
  const store = h.server.context.store

  assert.equal(await scheduler.tick(), 0, 'no day has completed since the schedule was set')
  const midnight = periodStart('daily', start) + DAY
  clock.set(midnight + 5 * 60_000)
  assert.equal(await scheduler.tick(), 1)
  assert.equal(await scheduler.tick(), 0, 'a second tick in the same day queues nothing')
  await h.server.context.reports.idle()
  let reports = await scheduledReports(store, h.tenantA)
  assert.deepEqual(reports.map((r) => [r.from, r.to, r.status, r.by]), [[iso(midnight - DAY), iso(midnight), 'ready', 'schedule:daily']])

  const [hook] = await rx.waitFor(1)
  assert.ok(verifyLedgixSignature(hook!.body, hook!.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET), 'signed webhook')
  assert.equal(hook!.json.type, 'report.ready')
  assert.equal(hook!.json.report.report_id, reports[0]!.id)
  assert.deepEqual(hook!.json.report.period, { from: iso(midnight - DAY), to: iso(midnight) })
  assert.match(hook!.json.report.json_sha256, /^[0-9a-f]{64}$/)
  const [mail] = await smtp.waitFor(1)
  assert.deepEqual(mail!.to, ['auditor@example.com'])
  const text = mimePart(mail!.raw, 'text/plain')!
  assert.ok(text.includes(reports[0]!.id) && text.includes(hook!.json.report.json_sha256), text)
  for (const body of [hook!.body, mail!.raw]) {
    assert.ok(!/lgxs_|\/reports\/shared\//.test(body), 'no share token or link')
    assert.ok(!body.includes(WEBHOOK_SECRET) && !body.includes(SMTP_PASSWORD), 'no secret')
  }

  // Two more days pass while the Vault is down: after a restart each missed day is reported once.
  await h.server.close()
  h.server.close = async () => undefined // closed here; the harness's after-hook must not close it twice
  clock.set(midnight + 2 * DAY + 60_000)
  const again = await startVaultServer({ clock, reportScheduleTickMs: HOUR, config: vaultConfig(h.dataDir, { defaultEffect: 'review', notifications: fastNotify(notify) }) })
  t.after(() => again.close())
  await again.reportScheduler.tick()
  assert.equal(await again.reportScheduler.tick(), 0)
  await again.context.reports.idle()
  reports = await scheduledReports(again.context.store, h.tenantA)
  assert.deepEqual(reports.map((r) => r.from), [iso(midnight - DAY), iso(midnight), iso(midnight + DAY)], 'each day once, none twice')
  assert.ok(reports.every((r) => r.status === 'ready'), JSON.stringify(reports))
  await rx.waitFor(3)
  await smtp.waitFor(3)
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(rx.received.length, 3, 'one report.ready per report')
  assert.deepEqual(rx.received.map((r) => r.json.report.report_id).sort(), reports.map((r) => r.id).sort())
})

test('two schedulers racing for one period on one store: one report; the loser’s claim is refused and it writes nothing', async (t) => {
  const start = Date.now()
  const clock = new ManualClock(start)
  const h = await startNotifyHarness(t, {}, { clock, reportScheduleTickMs: HOUR })
  const put = await call(h.base, 'PUT', '/report-settings', { key: h.keys.admin, body: { formats: ['json'], schedule: { period: 'weekly' } } })
  assert.equal(put.status, 200)
  clock.set(periodStart('weekly', start) + 7 * DAY + 1000)
  const store = h.server.context.store
  // The second instance reads "not claimed yet" every time, as a replica does inside the window
  // between another replica's read and its write: only the store's unique key can stop it.
  const blind = new Proxy(store, {
    get(target, prop) {
      if (prop === 'getIdempotency') return async () => null
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  const rival = new ReportScheduler({ store: blind, clock, reports: h.server.context.reports, tickMs: HOUR })
  const [a, b] = await Promise.all([h.server.reportScheduler.tick(), rival.tick()])
  assert.equal(a + b, 1, `exactly one queued (got ${a} + ${b})`)
  assert.equal(await rival.tick(), 0, 'the blind rival is refused again on its next tick')
  assert.ok(rival.lost >= 1, `the rival lost ${rival.lost} claims`)
  await h.server.context.reports.idle()
  const reports = await scheduledReports(store, h.tenantA)
  assert.equal(reports.length, 1, JSON.stringify(reports))
  assert.equal(reports[0]!.by, 'schedule:weekly')
})

const pg = await import('../helpers/postgres.ts')

test('PostgreSQL: two Vault replicas on one database race for the same month: one report', { skip: pg.skipWithoutPostgres }, async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { newApiKey } = await import('../../src/vault/index.ts')
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-schedule-pg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const start = Date.now()
  const clock = new ManualClock(start)
  const pool = { max: 10, statementTimeoutMs: 30_000, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 }
  const config = vaultConfig(dir, { store: { driver: 'postgres', url: pg.PG_TEST_URL, schema: pg.testSchema(), pool } })
  const first = await startVaultServer({ clock, reportScheduleTickMs: HOUR, config })
  t.after(() => first.close())
  const second = await startVaultServer({ clock, reportScheduleTickMs: HOUR, config })
  t.after(() => second.close())
  const tenant = 'tenant-s' as TenantId
  const admin = newApiKey(tenant, 'admin', 'admin', 'test', start)
  assert.ok((await first.context.store.write([{ op: 'tenant_insert', tenant: { tenantId: tenant, name: 'S', createdAtMs: start } }, { op: 'api_key_insert', key: admin.record }])).ok, 'seeded')
  const put = await call(`http://127.0.0.1:${first.port}`, 'PUT', '/report-settings', { key: admin.apiKey, body: { formats: ['json'], schedule: { period: 'monthly' } } })
  assert.equal(put.status, 200, put.text)
  clock.set(periodStart('monthly', start) + 40 * DAY)
  for (let round = 0; round < 3; round++) await Promise.all([first.reportScheduler.tick(), second.reportScheduler.tick()])
  assert.equal(first.reportScheduler.queued + second.reportScheduler.queued, 1)
  await Promise.all([first.context.reports.idle(), second.context.reports.idle()])
  const reports = await scheduledReports(first.context.store, tenant)
  assert.equal(reports.length, 1, JSON.stringify(reports))
  assert.equal(reports[0]!.from, iso(periodStart('monthly', start)))
  assert.equal(reports[0]!.status, 'ready')
})
