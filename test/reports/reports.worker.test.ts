// The generation worker across a restart: a report left `queued` and one left `running` by a stopped
// process are both built at the next start, and a failing build ends `failed` with an operator-facing
// error instead of staying `running`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TenantId } from '../../src/core/index.ts'
import type { ReportRecord } from '../../src/store/index.ts'
import { startVaultServer } from '../../src/vault/index.ts'
import { vaultConfig } from '../vault/helpers.ts'

function record(id: string, status: ReportRecord['status'], periodToMs: number): ReportRecord {
  return { tenantId: 'tenant-r' as TenantId, reportId: id, status, periodFromMs: periodToMs - 3_600_000, periodToMs, title: 'left behind', formats: ['json', 'csv'], requestedBy: 'admin:x', createdAtMs: periodToMs, updatedAtMs: periodToMs, error: null, jsonSha256: null, summaryJson: null }
}

test('reports left queued or running by a previous process are built at the next start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-report-worker-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const first = await startVaultServer({ config: vaultConfig(dir) })
  const now = Date.now()
  const queued = record('rpt_00000000-0000-7000-8000-00000000000a', 'queued', now)
  const running = record('rpt_00000000-0000-7000-8000-00000000000b', 'running', now)
  assert.ok((await first.context.store.write([{ op: 'report_insert', report: queued }, { op: 'report_insert', report: running }])).ok)
  await first.close()

  const second = await startVaultServer({ config: vaultConfig(dir) })
  t.after(() => second.close())
  await second.context.reports.idle()
  for (const id of [queued.reportId, running.reportId]) {
    const r = await second.context.store.getReport(queued.tenantId, id)
    assert.equal(r?.status, 'ready', `${id}: ${r?.error ?? ''}`)
    assert.ok((await second.context.store.getReportArtifact(queued.tenantId, id, 'csv')) !== null)
  }
})

test('a build that throws ends failed with an operator-facing error, and the worker goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-report-worker-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startVaultServer({ config: vaultConfig(dir) })
  t.after(() => server.close())
  const store = server.context.store
  const original = store.listLedgerEvents.bind(store)
  let broken = true
  store.listLedgerEvents = async (...args) => {
    if (broken) throw new Error('disk went away')
    return original(...args)
  }
  const now = Date.now()
  assert.ok(await server.context.reports.enqueue(record('rpt_00000000-0000-7000-8000-00000000000c', 'queued', now)))
  await server.context.reports.idle()
  const failed = await store.getReport('tenant-r' as TenantId, 'rpt_00000000-0000-7000-8000-00000000000c')
  assert.equal(failed?.status, 'failed')
  assert.match(failed?.error ?? '', /report generation failed; see the Vault log/)
  assert.doesNotMatch(failed?.error ?? '', /disk went away/, 'the cause stays in the log')
  broken = false
  assert.ok(await server.context.reports.enqueue(record('rpt_00000000-0000-7000-8000-00000000000d', 'queued', now)))
  await server.context.reports.idle()
  assert.equal((await store.getReport('tenant-r' as TenantId, 'rpt_00000000-0000-7000-8000-00000000000d'))?.status, 'ready')
})
