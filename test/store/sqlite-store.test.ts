// SQLite driver: the shared Store contract plus what only this driver has (pragmas, migrations,
// batching into few COMMITs, pushback when the queue is full).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRetainedDatabase } from '../../src/store/index.ts'
import type { ApiKeyId, TenantId } from '../../src/core/index.ts'
import { MIGRATIONS, SqliteStore, openSqliteStore, type Store } from '../../src/store/index.ts'
import { describeStoreContract } from '../contract/store.contract.ts'
import { describeDriftStoreContract } from '../contract/store-drift.contract.ts'
import { describeDashboardStoreContract } from '../contract/store-dashboard.contract.ts'
import { describeDashboardApiStoreContract } from '../contract/store-dashboard-api.contract.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const dirs: string[] = []
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const sqliteFactory = {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'ledgix-store-'))
    dirs.push(dir)
    return openSqliteStore({ path: join(dir, 'vault.db') })
  },
  async reopen(store: Store) {
    await store.close()
    return openSqliteStore({ path: (store as SqliteStore).path })
  },
}
describeStoreContract('sqlite', sqliteFactory)
describeDriftStoreContract('sqlite', sqliteFactory)
describeDashboardStoreContract('sqlite', sqliteFactory)
describeDashboardApiStoreContract('sqlite', sqliteFactory)

const T = 't' as TenantId

test('sqlite: WAL + synchronous=FULL, migrations recorded once', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const store = openSqliteStore({ path })
  await store.close()
  const again = openSqliteStore({ path })
  await again.close()
  const db = openRetainedDatabase(path, { readonly: true })
  t.after(() => db.close())
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>
  assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version))
})

test('sqlite: the writer keeps savepoint sub-journals in memory and a 2 MiB page cache, durability settings unchanged', async (t) => {
  // Every group-committed caller runs in a SAVEPOINT; with temp_store=FILE its undo pages went to a
  // temp file (~4 pwrite(2)s per WAL frame). The WAL, fsynced per COMMIT, stays the recovery log.
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  assert.equal(store.writerPragma('temp_store'), 2) // MEMORY
  assert.equal(store.writerPragma('synchronous'), 2) // FULL
  assert.equal(store.writerPragma('journal_mode'), 'wal')
  assert.equal(store.writerPragma('foreign_keys'), 1)
  // 2 MiB, not better-sqlite3's 16 MB: the writer works at the right edge of time-ordered keys.
  assert.equal(store.writerPragma('cache_size'), -2048)
})

test('sqlite: 500 writes queued in one turn commit in one transaction', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: T, name: 't', createdAtMs: 1 } }])
  const before = store.commitCount
  const results = await Promise.all(
    Array.from({ length: 500 }, (_, i) => store.write([{ op: 'burn', jti: `j${i}`, tenantId: T, agentId: 'a', expSeconds: 1, atMs: 1 }])),
  )
  assert.ok(results.every((r) => r.ok))
  assert.equal(store.commitCount - before, 1)
})

test('sqlite: a full queue refuses with overloaded instead of growing', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db'), maxQueue: 5, maxBatch: 2 })
  t.after(() => store.close())
  const settled = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => store.write([{ op: 'burn', jti: `j${i}`, tenantId: T, agentId: 'a', expSeconds: 1, atMs: 1 }])),
  )
  const refused = settled.filter((s) => s.status === 'rejected')
  assert.equal(refused.length, 3)
  assert.equal((refused[0] as PromiseRejectedResult).reason.code, 'overloaded')
  assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 5)
  assert.equal(await store.isBurned('j4'), true, 'batches of 2 drained the whole queue')
})

test('sqlite: a store written by a newer binary is refused with an upgrade hint', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  await openSqliteStore({ path }).close()
  const db = openRetainedDatabase(path)
  db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future')
  db.close()
  assert.throws(() => openSqliteStore({ path }), /newer than this binary knows .*upgrade ledgix-gateway/)
})

test('sqlite: a commit by another connection (the CLI on a live data dir) is seen by the next cached read', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const store = openSqliteStore({ path })
  t.after(() => store.close())
  const key = { keyId: 'key-x' as ApiKeyId, tenantId: T, keyHash: 'xx', prefix: 'sk_test_xx', role: 'agent' as const, name: 'n', createdAtMs: 1, revokedAtMs: null, lastUsedAtMs: null }
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: T, name: 't', createdAtMs: 1 } }, { op: 'api_key_insert', key }])
  // Warm every cached read first.
  assert.equal((await store.findApiKeyByHash('xx'))?.revokedAtMs, null)
  assert.equal(await store.getSettings(T, 'drift'), null)
  assert.equal(await store.getAgentLock(T, 'bot'), null)
  const other = openSqliteStore({ path })
  await other.write([
    { op: 'api_key_revoke', tenantId: T, keyId: key.keyId, atMs: 9 },
    { op: 'settings_put', tenantId: T, kind: 'drift', valueJson: '{}', atMs: 9 },
    { op: 'agent_lock_put', lock: { tenantId: T, agentId: 'bot', locked: true, actor: 'cli', reason: 'r', changedAtMs: 9 } },
  ])
  await other.close()
  assert.equal((await store.findApiKeyByHash('xx'))?.revokedAtMs, 9)
  assert.equal(await store.getSettings(T, 'drift'), '{}')
  assert.equal((await store.getAgentLock(T, 'bot'))?.locked, true)
})
