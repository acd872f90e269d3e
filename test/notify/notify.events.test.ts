// Issue 17, the events beside reviews: agent locked down / released (outbox rows in the lock's own
// write) and a ledger verification failure found by GET /ledger/verify (once per distinct break).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { call } from '../vault/helpers.ts'
import { startReceiver } from './receiver.ts'
import { putChannels, startNotifyHarness, webhookChannel } from './setup.ts'

test('lockdown and release → agent.locked / agent.released with who and why; agent glob filters them', async (t) => {
  const h = await startNotifyHarness(t)
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(rx.url, { agents: ['bot-*'] })])
  await call(h.base, 'POST', '/drift/agents/bot-7/lockdown', { key: h.keys.admin, body: { reason: 'odd refunds', actor: 'alice@example.com' } })
  await call(h.base, 'POST', '/drift/agents/other/lockdown', { key: h.keys.admin, body: { reason: 'filtered out' } })
  await call(h.base, 'DELETE', '/drift/agents/bot-7/lockdown', { key: h.keys.reviewer, body: { reason: 'reviewed' } })
  const got = await rx.waitFor(2)
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(rx.received.length, 2)
  assert.deepEqual(got.map((r) => r.json.type), ['agent.locked', 'agent.released'])
  assert.deepEqual(got[0]!.json.agent, { agent_id: 'bot-7', locked: true, actor: 'alice@example.com (admin:admin)', reason: 'odd refunds' })
  assert.equal(got[1]!.json.agent.locked, false)
})

test('a tampered ledger row found by /ledger/verify → ledger.verification_failed, once per distinct break', async (t) => {
  // The sealer ticks once a minute: the row is tampered unsealed, then sealed between the two
  // verifications, so the break's message changes (it gains a leaf_index) while the break does not.
  const h = await startNotifyHarness(t, {}, { config: { defaultEffect: 'deny', ledger: { sealBatchSize: 256, sealIntervalMs: 60_000, mmdSeconds: 120, encryptionKey: null } } })
  const rx = await startReceiver(t)
  await putChannels(h, [webhookChannel(rx.url, { events: ['ledger.verification_failed'] })])
  for (let i = 0; i < 3; i++) assert.equal((await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'pay', tool_args: { amount: i } } })).status, 200)
  const clean = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.admin })
  assert.equal(clean.body.intact, true, JSON.stringify(clean.body))
  const db = new Database(join(h.dataDir, 'vault.db'))
  db.prepare(`UPDATE decision_events SET tool_args = json_set(tool_args, '$.amount', 999) WHERE tenant_seq = 2`).run()
  db.close()
  const broken = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.admin })
  assert.equal(broken.body.intact, false)
  assert.doesNotMatch(broken.body.error, /leaf_index/, 'the first verification sees the row unsealed')
  await h.server.context.ledgerService.sealer.flush()
  const again = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.admin })
  assert.equal(again.body.intact, false)
  assert.match(again.body.error, /leaf_index/, 'the second sees it sealed: another message for the same break')
  const [event] = await rx.waitFor(1)
  assert.equal(event!.json.type, 'ledger.verification_failed')
  assert.equal(event!.json.ledger.check, 'GET /ledger/verify (full)')
  assert.equal(event!.json.ledger.detail, broken.body.error)
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(rx.received.length, 1, 'the same break verified twice notifies once')
})
