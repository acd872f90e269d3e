// Drift through a real Vault (127.0.0.1:0, SQLite in a temp dir): PUT /drift/settings drives the
// monitor, GET /drift/summary and /drift/events (pagination, filters) show learning, baseline and the
// injected shift; enforce locks through the lockdown path (clearance then denied with HTTP 200),
// observe does not; release is a human act with a reason; every drift event is a verifiable ledger
// row; a restart on the same data dir keeps the baseline.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { newApiKey, startVaultServer } from '../../src/vault/index.ts'
import { call, startHarness, vaultConfig } from '../vault/helpers.ts'
import type { Harness } from '../vault/helpers.ts'
import { mulberry32, normal } from './sim.ts'

const LEARNING = { enabled: true, learning: { min_days: 0, min_requests: 120 }, window_requests: 20 }

interface Driver {
  base: string
  key: string
  clock: ManualClock
}

/** One clearance, a minute after the previous one. */
async function clear(d: Driver, agentId: string, tool: string, args: Record<string, unknown>): Promise<{ status: string; reason_code: string | null }> {
  d.clock.advance(60_000)
  const res = await call(d.base, 'POST', '/request-clearance', { key: d.key, body: { tool_name: tool, tool_args: args, agent_id: agentId } })
  assert.equal(res.status, 200, res.text)
  return { status: res.body.decision_status, reason_code: res.body.reason_code }
}

/** A steady payments agent: 70 % payments.create (amount ~100, one of 5 customers), 30 % payments.get. */
async function steady(d: Driver, agentId: string, n: number, seed: number): Promise<void> {
  const rand = mulberry32(seed)
  for (let i = 0; i < n; i++) {
    if (rand() < 0.7) await clear(d, agentId, 'payments.create', { amount: Math.round(100 * Math.exp(0.3 * normal(rand))), customer: `cus_${Math.floor(rand() * 5)}` })
    else await clear(d, agentId, 'payments.get', { payment_id: `pay_${i}` })
  }
}

/** The shift: a never-seen money tool, 50× amounts, never-seen customers — until drift reacts. */
async function shift(d: Driver, agentId: string, until: () => Promise<boolean>, max: number): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await clear(d, agentId, i % 2 === 0 ? 'payments.payout' : 'payments.create', { amount: 5000 + i, customer: `cus_new_${i}` })
    if (await until()) return i
  }
  return Infinity
}

async function summaryOf(h: { base: string }, key: string): Promise<any> {
  const res = await call(h.base, 'GET', '/drift/summary', { key })
  assert.equal(res.status, 200, res.text)
  return res.body
}

async function start(t: { after(fn: () => unknown): void }): Promise<{ h: Harness; d: Driver }> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 9))
  const h = await startHarness(t, { clock, config: { defaultEffect: 'allow' } })
  return { h, d: { base: h.base, key: h.keys.agent, clock } }
}

test('enforce: learning → baseline event → corroborated shift locks the agent; release needs a human and a reason', async (t) => {
  const { h, d } = await start(t)
  assert.equal((await call(h.base, 'PUT', '/drift/settings', { key: h.keys.agent, body: { enabled: true } })).status, 403, 'admins only')
  const bad = await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: { mode: 'lockdown' } })
  assert.equal(bad.status, 400)
  assert.match(bad.body.detail, /body\.mode/)
  const put = await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: { ...LEARNING, mode: 'enforce' } })
  assert.equal(put.status, 200, put.text)
  assert.equal(put.body.mode, 'enforce')
  assert.deepEqual((await call(h.base, 'GET', '/drift/settings', { key: h.keys.agent })).body, put.body)

  await steady(d, 'pay-bot', 60, 1)
  let s = await summaryOf(h, h.keys.agent)
  assert.equal(s.mode, 'enforce')
  assert.equal(s.agents.learning, 1)
  assert.equal(s.top[0].level, 'learning')
  assert.equal(s.top[0].learning.requests, 60)
  await steady(d, 'pay-bot', 100, 2)
  s = await summaryOf(h, h.keys.agent)
  assert.deepEqual({ ...s.agents }, { total: 1, learning: 0, normal: 1, watch: 0, alert: 0, critical: 0, locked: 0 })
  assert.equal(s.top[0].locked, false)
  assert.match(s.top[0].baseline.sha256, /^[0-9a-f]{64}$/)

  const calls = await shift(d, 'pay-bot', async () => (await summaryOf(h, h.keys.agent)).top[0].locked === true, 60)
  assert.ok(calls <= 30, `locked after ${calls} shifted calls`)
  s = await summaryOf(h, h.keys.agent)
  assert.equal(s.agents.locked, 1)
  assert.equal(s.top[0].level, 'critical')
  assert.ok(s.top[0].score >= 85)
  assert.ok(s.top[0].explanation.length > 0)

  // The lock is the existing lockdown path: the next clearance is denied with HTTP 200, policy unevaluated.
  const denied = await clear(d, 'pay-bot', 'payments.get', { payment_id: 'p' })
  assert.deepEqual(denied, { status: 'denied', reason_code: 'agent_locked' })
  const lock = await h.server.context.store.getAgentLock(h.tenantA, 'pay-bot')
  assert.equal(lock?.actor, 'drift:auto')
  assert.match(lock!.reason, /^drift event dre_/)

  const events = (await call(h.base, 'GET', '/drift/events', { key: h.keys.agent })).body.events as any[]
  const locked = events.find((e) => e.type === 'drift.lockdown')
  assert.ok(locked !== undefined, JSON.stringify(events.map((e) => e.type)))
  assert.equal(locked.action, 'lockdown')
  assert.equal(locked.corroborated, true)
  assert.ok(locked.reasons.length >= 2 && locked.reasons.every((r: any) => typeof r.text === 'string' && typeof r.code === 'string'))
  assert.equal(locked.baseline.sha256, s.top[0].baseline.sha256)
  assert.deepEqual(events.slice(-2).map((e) => e.type), ['drift.baseline_established', 'drift.settings_changed'], 'newest first; the settings change is the oldest')
  const change = events[events.length - 1]
  assert.equal(change.actor, 'admin:admin')
  assert.equal(change.settings.mode, 'enforce')
  assert.equal(change.previous_settings.enabled, false)

  // Release: not by an agent key, not without a reason; then ledgered with who and why.
  assert.equal((await call(h.base, 'DELETE', '/drift/agents/pay-bot/lockdown', { key: h.keys.agent, body: { reason: 'me' } })).status, 403)
  assert.equal((await call(h.base, 'DELETE', '/drift/agents/pay-bot/lockdown', { key: h.keys.reviewer })).status, 400)
  assert.equal((await call(h.base, 'DELETE', '/drift/agents/pay-bot/lockdown', { key: h.keys.reviewer, body: { reason: '  ' } })).status, 400)
  const release = await call(h.base, 'DELETE', '/drift/agents/pay-bot/lockdown', { key: h.keys.reviewer, body: { reason: 'payout rollout confirmed with finance', actor: 'dana@example.com' } })
  assert.equal(release.status, 200, release.text)
  assert.equal(release.body.locked, false)
  assert.equal((await call(h.base, 'DELETE', '/drift/agents/pay-bot/lockdown', { key: h.keys.reviewer, body: { reason: 'again' } })).status, 404, 'nothing to release')
  s = await summaryOf(h, h.keys.agent)
  assert.equal(s.top[0].locked, false)
  assert.equal(s.top[0].level, 'normal', 'released: back to normal, on probation')
  assert.equal((await clear(d, 'pay-bot', 'payments.get', { payment_id: 'q' })).status, 'approved')

  // Every drift event is a ledger row in the client's format, and the ledger still verifies.
  const ledger = (await call(h.base, 'GET', '/ledger?limit=1000&view=full', { key: h.keys.admin })).body.entries as any[]
  const driftRows = ledger.filter((e) => e.tool_name === 'ledgix.drift')
  const all = (await call(h.base, 'GET', '/drift/events?limit=500', { key: h.keys.agent })).body.events as any[]
  assert.deepEqual(driftRows.map((r) => r.request_id).sort(), all.map((e) => e.event_id).sort())
  const releaseRow = driftRows.find((r) => r.request_id === release.body.event_id)
  assert.equal(releaseRow.decision_status, 'approved')
  assert.match(releaseRow.reason, /released by dana@example\.com \(reviewer:reviewer\): payout rollout confirmed/)
  assert.equal(driftRows.find((r) => r.request_id === locked.event_id).decision_status, 'denied')
  const verify = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.admin })
  assert.equal(verify.body.intact, true, verify.text)
})

test('observe (the default mode): the same shift reaches critical and is reported, but nothing is locked', async (t) => {
  const { h, d } = await start(t)
  assert.equal((await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: LEARNING })).body.mode, 'observe')
  await steady(d, 'pay-bot', 160, 3)
  const calls = await shift(d, 'pay-bot', async () => (await summaryOf(h, h.keys.agent)).top[0].level === 'critical', 60)
  assert.ok(calls <= 30, `critical after ${calls} shifted calls`)
  assert.equal((await summaryOf(h, h.keys.agent)).agents.locked, 0)
  assert.equal(await h.server.context.store.getAgentLock(h.tenantA, 'pay-bot'), null)
  assert.equal((await clear(d, 'pay-bot', 'payments.get', { payment_id: 'x' })).status, 'approved')
  const critical = (await call(h.base, 'GET', '/drift/events?level=critical', { key: h.keys.agent })).body.events as any[]
  assert.ok(critical.length >= 1)
  assert.ok(critical.every((e) => e.level === 'critical' && e.action === 'none' && e.mode === 'observe'))
})

test('/drift/events: newest first, cursor pagination, agent and level filters, per tenant, bad queries are 400', async (t) => {
  const { h, d } = await start(t)
  await call(h.base, 'PUT', '/drift/settings', { key: h.keys.admin, body: LEARNING })
  for (const agent of ['a-1', 'a-2', 'a-3']) await call(h.base, 'POST', `/drift/agents/${agent}/lockdown`, { key: h.keys.admin, body: { reason: `hold ${agent}` } })
  await call(h.base, 'DELETE', '/drift/agents/a-2/lockdown', { key: h.keys.admin, body: { reason: 'ok' } })
  const again = await call(h.base, 'POST', '/drift/agents/a-1/lockdown', { key: h.keys.admin, body: { reason: 'twice' } })
  assert.equal(again.body.reason, 'hold a-1', 'a second lock returns the lock in force, no new event')
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const page: any = await call(h.base, 'GET', `/drift/events?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, { key: h.keys.reviewer })
    assert.equal(page.status, 200)
    assert.ok(page.body.events.length <= 2)
    for (const e of page.body.events) seen.push(`${e.type} ${e.agent_id}`)
    cursor = page.body.next_cursor
  } while (cursor !== null)
  assert.deepEqual(seen, ['drift.release a-2', 'drift.lockdown a-3', 'drift.lockdown a-2', 'drift.lockdown a-1', 'drift.settings_changed *'])
  const a2 = (await call(h.base, 'GET', '/drift/events?agent_id=a-2', { key: h.keys.agent })).body.events as any[]
  assert.deepEqual(a2.map((e) => e.type), ['drift.release', 'drift.lockdown'])
  assert.equal(a2[1].reason, 'hold a-2')
  assert.match(a2[1].actor, /admin:admin/)
  assert.equal((await call(h.base, 'GET', '/drift/events?level=critical', { key: h.keys.agent })).body.events.length, 0)
  assert.equal((await call(h.base, 'GET', '/drift/events', { key: h.keys.bAgent })).body.events.length, 0, 'another tenant sees none')
  for (const q of ['level=red', 'limit=0', 'limit=501', 'cursor=abc', 'limit=x']) {
    assert.equal((await call(h.base, 'GET', `/drift/events?${q}`, { key: h.keys.agent })).status, 400, q)
  }
  assert.equal((await call(h.base, 'GET', '/drift/summary?limit=0', { key: h.keys.agent })).status, 400)
  assert.equal((await call(h.base, 'GET', '/drift/events', {})).status, 401)
  void d
})

test('drift off (the default): clearances are not observed and the summary is empty', async (t) => {
  const { h, d } = await start(t)
  assert.equal((await call(h.base, 'GET', '/drift/settings', { key: h.keys.agent })).body.enabled, false)
  await steady(d, 'quiet-bot', 10, 4)
  const s = await summaryOf(h, h.keys.agent)
  assert.equal(s.enabled, false)
  assert.equal(s.agents.total, 0)
})

test('restart keeps baselines: close the Vault, reopen it on the same data dir, the agent is still past learning', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgix-drift-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 9))
  const tenant = 'tenant-a' as TenantId
  const admin = newApiKey(tenant, 'admin', 'admin', 'test', clock.now())
  const first = await startVaultServer({ config: vaultConfig(dataDir, { defaultEffect: 'allow' }), clock })
  let firstClosed = false
  t.after(async () => {
    if (!firstClosed) await first.close()
  })
  await first.context.store.write([
    { op: 'tenant_insert', tenant: { tenantId: tenant, name: 'A', createdAtMs: clock.now() } },
    { op: 'api_key_insert', key: admin.record },
  ])
  const d1: Driver = { base: `http://127.0.0.1:${first.port}`, key: admin.apiKey, clock }
  await call(d1.base, 'PUT', '/drift/settings', { key: admin.apiKey, body: LEARNING })
  await steady(d1, 'pay-bot', 150, 5)
  const before = (await summaryOf(d1, admin.apiKey)).top[0]
  assert.equal(before.level, 'normal')
  await first.close()
  firstClosed = true

  const second = await startVaultServer({ config: vaultConfig(dataDir, { defaultEffect: 'allow' }), clock })
  t.after(() => second.close())
  const d2: Driver = { base: `http://127.0.0.1:${second.port}`, key: admin.apiKey, clock }
  const after = (await summaryOf(d2, admin.apiKey)).top[0]
  assert.equal(after.level, 'normal')
  assert.equal(after.requests, 150)
  assert.deepEqual(after.baseline, before.baseline)
  // And it still detects against that baseline, without a second learning period.
  const calls = await shift(d2, 'pay-bot', async () => (await summaryOf(d2, admin.apiKey)).top[0].level !== 'normal', 40)
  assert.ok(calls <= 20, `flagged after ${calls} shifted calls`)
})
