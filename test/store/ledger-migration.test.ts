// Schema version 2 (the ledger) over a version-1 store: existing decision events keep their data, get
// per-tenant seqs in insertion order, and are never handed to the sealer (they carry no hashes).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openRetainedDatabase } from '../../src/store/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { MIGRATIONS, openSqliteStore } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

test('v1 → v2: legacy events get per-tenant seqs and are skipped by the sealer', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const db = openRetainedDatabase(path)
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  db.exec(MIGRATIONS[0]!.sql)
  db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name)
  const insert = db.prepare(`INSERT INTO decision_events (tenant_id, event_uuid, event_type, request_id, tool_name, tool_args, agent_id, policy_id, reason,
    citations, evidence_chunks, confidence, confidence_bucket, decision_status, approved, accepted_at, intent_hash, rule_set_hash, matched_rule_ids,
    eval_inputs_hash, eval_trace_hash, classifier_label, classifier_confidence_bucket, canonical_version)
    VALUES (?, ?, 'clearance', ?, 'ping', '{"a":1}', 'ag', 'p', 'r', '[]', '[]', 0.95, 'extra_high', 'approved', 1, '2026-01-01T00:00:00.000Z', '', '', '[]', '', '', '', '', 3)`)
  for (const [tenant, n] of [['a', 1], ['b', 2], ['a', 3], ['a', 4]] as const) insert.run(tenant, `u${n}`, `r${n}`)
  db.close()
  const store = openSqliteStore({ path })
  t.after(() => store.close())
  const a = await store.listLedgerEvents('a' as TenantId, { after: null, limit: 10, order: 'asc' })
  assert.deepEqual(a.map((e) => [e.seq, e.requestId]), [[1, 'r1'], [2, 'r3'], [3, 'r4']])
  assert.deepEqual((await store.listDecisionEvents('b' as TenantId, 0, 10)).map((e) => e.toolArgs), [{ a: 1 }])
  assert.deepEqual(await store.listTenantsWithUnsealed(), [])
  assert.deepEqual(await store.listUnsealedLeaves('a' as TenantId, 10), [])
})
