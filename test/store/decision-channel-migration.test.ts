// Schema version 8 over a version-7 store, both drivers: the review decision's channel becomes a
// stored column, backfilled from what was inferred from the reviewer until then (`slack:` → slack,
// `system:` → system, any other decided review → api); undecided and non-review rows stay null.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import pg from 'pg'
import type { TenantId } from '../../src/core/index.ts'
import { MIGRATIONS, PG_MIGRATIONS, migratePg, openPostgresStore, openRetainedDatabase, openSqliteStore } from '../../src/store/index.ts'
import type { ClearanceRecord, ReviewState, Store } from '../../src/store/index.ts'
import { CLEARANCE_COLUMNS, clearanceParams } from '../../src/store/sqlite/write-ops.ts'
import { clearanceFixture } from '../contract/store.contract.ts'
import { PG_TEST_URL, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const T = 'tenant-one' as TenantId

/** request id → [status, review state, reviewer] as an older version stored them, and the channel expected. */
const ROWS: Array<[string, ClearanceRecord['status'], ReviewState | null, string | null, string | null]> = [
  ['via-slack', 'approved', 'approved', 'slack:U123 <ana@example.com>', 'slack'],
  ['expired', 'denied', 'expired', 'system:review-expiry', 'system'],
  ['via-api', 'denied', 'denied', 'ops@example.com', 'api'],
  ['via-api-key-name', 'approved', 'approved', 'reviewer:ci-key', 'api'],
  ['cancelled', 'denied', 'cancelled', 'agent:bot', 'api'],
  ['pending', 'pending_review', 'pending', null, null],
  ['policy-decision', 'approved', null, null, null],
]

function oldRows(): ClearanceRecord[] {
  return ROWS.map(([id, status, reviewState, reviewer], i) => ({ ...clearanceFixture(T, id, 1_700_000_000_000 + i, status), reviewState, reviewer }))
}

/** The version-7 columns: every column but the new one, which is last. */
const V7_COLUMNS = CLEARANCE_COLUMNS.slice(0, -1)
assert.equal(CLEARANCE_COLUMNS[CLEARANCE_COLUMNS.length - 1], 'decision_channel')

async function assertBackfilled(store: Store): Promise<void> {
  for (const [id, , , , channel] of ROWS) assert.equal((await store.getClearance(T, id))?.decisionChannel, channel, id)
}

test('sqlite v7 → v8: decision_channel backfilled from the reviewer prefix; new writes store it', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const db = openRetainedDatabase(path)
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  for (const m of MIGRATIONS.filter((m) => m.version <= 7)) {
    db.exec(m.sql)
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name)
  }
  const insert = db.prepare(`INSERT INTO clearances (${V7_COLUMNS.join(', ')}) VALUES (${V7_COLUMNS.map(() => '?').join(', ')})`)
  for (const r of oldRows()) insert.run(clearanceParams(r).slice(0, -1))
  db.close()
  const store = openSqliteStore({ path })
  t.after(() => store.close())
  await assertBackfilled(store)
  const next = { ...clearanceFixture(T, 'new', Date.now(), 'approved'), reviewState: 'approved' as const, reviewer: 'slack:looks-like-slack', decisionChannel: 'dashboard' as const }
  assert.deepEqual(await store.write([{ op: 'clearance_insert', clearance: next }]), { ok: true })
  assert.equal((await store.getClearance(T, 'new'))?.decisionChannel, 'dashboard', 'the stored field, not the reviewer prefix')
})

test('postgres v7 → v8: the same backfill', { skip: skipWithoutPostgres }, async (t) => {
  const schema = testSchema()
  const pool = new pg.Pool({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` })
  const client = await pool.connect()
  try {
    await migratePg(client, { schema, migrations: PG_MIGRATIONS.filter((m) => m.version <= 7) })
    for (const r of oldRows()) {
      await client.query(`INSERT INTO clearances (${V7_COLUMNS.join(', ')}) VALUES (${V7_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, clearanceParams(r).slice(0, -1))
    }
  } finally {
    client.release()
    await pool.end()
  }
  const store = await openPostgresStore({ url: PG_TEST_URL, schema })
  t.after(() => store.close())
  await assertBackfilled(store)
})
