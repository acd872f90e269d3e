// Idempotency-Key on POST /reports, like /request-clearance: the same key with the same body answers
// the report the first call created (same id, 202, `Idempotent-Replayed: true`) — also after a
// restart, the key being stored with the queued row — and the same key with another body is a 409
// problem; keys are scoped per tenant.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startVaultServer } from '../../src/vault/index.ts'
import { call, startHarness, vaultConfig } from '../vault/helpers.ts'

test('POST /reports with Idempotency-Key: replay, conflict, tenant scope, restart', async (t) => {
  const h = await startHarness(t)
  const now = Date.now()
  const body = { period_from: new Date(now - 3_600_000).toISOString(), period_to: new Date(now - 60_000).toISOString(), formats: ['json'] }
  const headers = { 'idempotency-key': 'rep-7c1f' }
  const first = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body, headers })
  assert.equal(first.status, 202, first.text)
  const id = first.body.report_id as string
  assert.equal(first.headers['idempotent-replayed'], undefined)

  const again = await call(h.base, 'POST', '/reports', { key: h.keys.reviewer, body, headers })
  assert.equal(again.status, 202, again.text)
  assert.equal(again.body.report_id, id, 'the same report')
  assert.equal(again.headers['idempotent-replayed'], 'true')
  assert.equal(again.headers.location, `/reports/${id}`)

  const other = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body: { ...body, formats: ['json', 'csv'] }, headers })
  assert.equal(other.status, 409, other.text)
  assert.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8')
  assert.equal(other.body.code, 'idempotency_conflict')

  const tooLong = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body, headers: { 'idempotency-key': 'k'.repeat(256) } })
  assert.equal(tooLong.status, 400)
  assert.equal(tooLong.body.code, 'invalid_request')

  // Keys are scoped per tenant: tenant B's same key and body is B's own new report.
  const inB = await call(h.base, 'POST', '/reports', { key: h.keys.bAdmin, body, headers })
  assert.equal(inB.status, 202)
  assert.notEqual(inB.body.report_id, id)
  assert.equal(inB.headers['idempotent-replayed'], undefined)

  // Without a key every POST is a new report.
  const plain = await call(h.base, 'POST', '/reports', { key: h.keys.admin, body })
  assert.equal(plain.status, 202)
  assert.notEqual(plain.body.report_id, id)

  await h.server.context.reports.idle()
  const list = await call(h.base, 'GET', '/reports', { key: h.keys.admin })
  assert.equal(list.body.reports.length, 2, 'the replay created nothing')

  // After a restart the key still answers the same report, now ready.
  await h.server.close()
  h.server.close = async () => undefined // closed here; the harness's after-hook must not close it twice
  const restarted = await startVaultServer({ config: vaultConfig(h.dataDir) })
  t.after(() => restarted.close())
  const base = `http://127.0.0.1:${restarted.port}`
  const replay = await call(base, 'POST', '/reports', { key: h.keys.admin, body, headers })
  assert.equal(replay.status, 202, replay.text)
  assert.equal(replay.body.report_id, id)
  assert.equal(replay.body.status, 'ready', 'the replay shows the report as it stands now')
  const conflict = await call(base, 'POST', '/reports', { key: h.keys.admin, body: { ...body, title: 'another' }, headers })
  assert.equal(conflict.status, 409)
})

test('concurrent POSTs with one key create one report', async (t) => {
  const h = await startHarness(t)
  const now = Date.now()
  const body = { period_from: new Date(now - 3_600_000).toISOString(), period_to: new Date(now - 60_000).toISOString(), formats: ['json'] }
  const headers = { 'idempotency-key': 'burst' }
  const answers = await Promise.all(Array.from({ length: 8 }, () => call(h.base, 'POST', '/reports', { key: h.keys.admin, body, headers })))
  assert.ok(answers.every((r) => r.status === 202), answers.map((r) => r.status).join(','))
  assert.equal(new Set(answers.map((r) => r.body.report_id)).size, 1)
  await h.server.context.reports.idle()
  assert.equal((await call(h.base, 'GET', '/reports', { key: h.keys.admin })).body.reports.length, 1)
})

const pg = await import('../helpers/postgres.ts')

test('PostgreSQL: one key sent to two Vault replicas at once creates one report', { skip: pg.skipWithoutPostgres }, async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { newApiKey } = await import('../../src/vault/index.ts')
  type TenantId = import('../../src/core/index.ts').TenantId
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-idem-pg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const pool = { max: 10, statementTimeoutMs: 30_000, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 }
  const config = vaultConfig(dir, { store: { driver: 'postgres', url: pg.PG_TEST_URL, schema: pg.testSchema(), pool } })
  const first = await startVaultServer({ config })
  t.after(() => first.close())
  const second = await startVaultServer({ config })
  t.after(() => second.close())
  const now = Date.now()
  const tenant = 'tenant-p' as TenantId
  const admin = newApiKey(tenant, 'admin', 'admin', 'test', now)
  const seeded = await first.context.store.write([{ op: 'tenant_insert', tenant: { tenantId: tenant, name: 'P', createdAtMs: now } }, { op: 'api_key_insert', key: admin.record }])
  assert.equal(seeded.ok, true)
  const body = { period_from: new Date(now - 3_600_000).toISOString(), period_to: new Date(now - 60_000).toISOString(), formats: ['json'] }
  const bases = [`http://127.0.0.1:${first.port}`, `http://127.0.0.1:${second.port}`]
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call(bases[i % 2]!, 'POST', '/reports', { key: admin.apiKey, body, headers: { 'idempotency-key': 'replicas' } })))
  assert.deepEqual(answers.map((r) => r.status), new Array(8).fill(202), answers.map((r) => r.text).join('\n'))
  assert.equal(new Set(answers.map((r) => r.body.report_id)).size, 1, 'one report id from both replicas')
  await Promise.all([first.context.reports.idle(), second.context.reports.idle()])
  assert.equal((await first.context.store.listReports(tenant, null, 10)).length, 1)
})
