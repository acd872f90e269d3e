// Store ops of issue 16: the guarded key rotation (exactly one active key; a stale view is refused and
// writes nothing), the key-ring generation another connection's write moves (how a running Vault sees
// the CLI), and migration 4 over a version-3 store (generation row, deciding-key columns).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { MIGRATIONS, openRetainedDatabase, openSqliteStore } from '../../src/store/index.ts'
import type { SigningKeyRecord } from '../../src/store/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const key = (kid: string, atMs: number): SigningKeyRecord => ({ kid, publicX: `x-${kid}`, activeFromMs: atMs, retiredAtMs: null, revokedAtMs: null, source: 'file' })

test('signing_key_rotate: retires exactly the expected active set and inserts the new key; a stale view is refused', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  assert.deepEqual(await store.write([{ op: 'signing_key_rotate', expectActive: [], key: key('k1', 1), atMs: 1 }]), { ok: true })
  // Two rotations that both saw [k1]: one wins, the other is refused and leaves no trace.
  const [a, b] = await Promise.all([
    store.write([{ op: 'signing_key_rotate', expectActive: ['k1'], key: key('k2', 2), atMs: 2 }]),
    store.write([{ op: 'signing_key_rotate', expectActive: ['k1'], key: key('k3', 3), atMs: 3 }]),
  ])
  assert.deepEqual([a!.ok, b!.ok].sort(), [false, true])
  const rows = await store.listSigningKeys()
  assert.deepEqual(rows.map((r) => r.kid), ['k1', a!.ok ? 'k2' : 'k3'])
  assert.deepEqual(rows.filter((r) => r.retiredAtMs === null && r.revokedAtMs === null).length, 1)
  assert.equal(rows[0]!.retiredAtMs, a!.ok ? 2 : 3)
  const refused = await store.write([{ op: 'signing_key_rotate', expectActive: [], key: key('k4', 4), atMs: 4 }])
  assert.equal(refused.ok, false)
  assert.equal(!refused.ok && refused.opName, 'signing_key_rotate')
})

test('signingKeysVersion moves with every key-ring write, including one by another connection (the CLI)', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const live = openSqliteStore({ path })
  t.after(() => live.close())
  const v0 = await live.signingKeysVersion()
  await live.write([{ op: 'signing_key_upsert', key: key('k1', 1) }])
  const v1 = await live.signingKeysVersion()
  assert.notEqual(v1, v0)
  const cli = openSqliteStore({ path })
  await cli.write([{ op: 'signing_key_upsert', key: { ...key('k1', 1), revokedAtMs: 5, retiredAtMs: 5 } }])
  await cli.close()
  assert.notEqual(await live.signingKeysVersion(), v1)
  // Writes elsewhere do not move it (a poll costs a reload only when the ring changed).
  const v2 = await live.signingKeysVersion()
  await live.write([{ op: 'tenant_insert', tenant: { tenantId: 't' as TenantId, name: 't', createdAtMs: 1 } }])
  assert.equal(await live.signingKeysVersion(), v2)
})

test('v3 → v4: existing clearances read with null deciding key; the generation row exists', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const db = openRetainedDatabase(path)
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  for (const m of MIGRATIONS.filter((m) => m.version <= 3)) {
    db.exec(m.sql)
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name)
  }
  db.prepare(
    `INSERT INTO clearances (tenant_id, request_id, kind, status, decision_status, reason, confidence, confidence_bucket,
      minimum_confidence_score, minimum_confidence_bucket, policy_id, tool_name, tool_args, tool_args_hash, agent_id,
      session_id, context, matched_rule_ids, reviewer, created_at, updated_at)
     VALUES ('t', 'r1', 'clearance', 'approved', 'approved', 'ok', 1, 'extra_high', 0.75, 'high', 'p', 'tool', '{}', 'h', 'a', '', '{}', '[]', 'bob@example.com', 1, 1)`,
  ).run()
  db.close()
  const store = openSqliteStore({ path })
  t.after(() => store.close())
  const row = await store.getClearance('t' as TenantId, 'r1')
  assert.deepEqual([row?.reviewer, row?.decidedByKeyId, row?.decidedByRole], ['bob@example.com', null, null])
  assert.equal(await store.signingKeysVersion(), '0')
})
