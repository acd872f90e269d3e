// Schema version 3 over a version-2 store: the burns table becomes WITHOUT ROWID (one B-tree insert
// per burn instead of two), every burned jti stays burned, and new burns behave as before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { MIGRATIONS, openRetainedDatabase, openSqliteStore } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const burnOp = (jti: string) => ({ op: 'token_burn' as const, jti, callerTenant: null, agentId: 'agent-7', expSeconds: 2_000_000_000, atMs: Date.now() })

test('v2 → v3: burns move to a WITHOUT ROWID table keyed by jti; burned stays burned, replays stay refused', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const db = openRetainedDatabase(path)
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
    db.exec(m.sql)
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name)
  }
  const insert = db.prepare('INSERT INTO burns (jti, tenant_id, agent_id, exp, burned_at) VALUES (?, ?, ?, ?, ?)')
  for (let i = 0; i < 500; i++) insert.run(`old-${i}`, 't1', 'agent-7', 2_000_000_000, 1_700_000_000_000 + i)
  const before = db.prepare('SELECT jti, tenant_id, agent_id, exp, burned_at FROM burns ORDER BY jti').all()
  db.close()

  const store = openSqliteStore({ path })
  t.after(() => store.close())
  const check = openRetainedDatabase(path)
  t.after(() => check.close())
  const sql = (check.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'burns'").get() as { sql: string }).sql
  assert.match(sql, /WITHOUT ROWID/)
  assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'burns%' ORDER BY name").all(), [{ name: 'burns' }], 'no leftover table')
  assert.deepEqual(check.prepare('SELECT jti, tenant_id, agent_id, exp, burned_at FROM burns ORDER BY jti').all(), before)
  const versions = check.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>
  // Every later migration applies too (v4: key-ring generation, deciding key).
  assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version))
  assert.deepEqual(versions.slice(0, 3).map((v) => v.version), [1, 2, 3])

  assert.equal(await store.isBurned('old-42'), true)
  const replay = await store.write([burnOp('old-42')])
  assert.equal(replay.ok, false)
  assert.equal(replay.ok === false ? replay.refusal?.code : null, 'token_replayed')
  assert.deepEqual(await store.write([burnOp('new-1')]), { ok: true })
  assert.equal(await store.isBurned('new-1'), true)
  const again = await store.write([burnOp('new-1')])
  assert.equal(again.ok === false ? again.refusal?.code : null, 'token_replayed')
})
