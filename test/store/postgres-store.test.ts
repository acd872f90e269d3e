// PostgreSQL driver: the shared Store contract (every test the SQLite driver passes), each store in
// its own schema, plus what only this driver has: migrations under an advisory lock, guards that hold
// across two stores on one database (replicas), group commit, and clear start-up errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PG_MIGRATIONS, PostgresStore, openPostgresStore, type Store } from '../../src/store/index.ts'
import { clearanceFixture, describeStoreContract } from '../contract/store.contract.ts'
import { describeDriftStoreContract } from '../contract/store-drift.contract.ts'
import { describeDashboardStoreContract } from '../contract/store-dashboard.contract.ts'
import { describeDashboardApiStoreContract } from '../contract/store-dashboard-api.contract.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import type { TenantId } from '../../src/core/index.ts'

const pgFactory = {
  async open(): Promise<Store> {
    return openPostgresStore({ url: PG_TEST_URL, schema: testSchema() })
  },
  async reopen(store: Store): Promise<Store> {
    await store.close()
    return openPostgresStore({ url: PG_TEST_URL, schema: (store as PostgresStore).schema })
  },
}

if (skipWithoutPostgres !== false) {
  test('postgres: Store contract', { skip: skipWithoutPostgres }, () => {})
} else {
  describeStoreContract('postgres', pgFactory)
  describeDriftStoreContract('postgres', pgFactory)
  describeDashboardStoreContract('postgres', pgFactory)
  describeDashboardApiStoreContract('postgres', pgFactory)
}

const skip = skipWithoutPostgres
const T = 't' as TenantId

test('postgres: migrations recorded once; replicas opening together never race', { skip }, async (t) => {
  const schema = testSchema()
  // Five "replicas" start at once on an empty schema: the advisory lock lets one apply, the rest wait.
  const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore({ url: PG_TEST_URL, schema })))
  t.after(() => Promise.all(stores.map((s) => s.close())))
  const versions = await adminQuery<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)
  assert.deepEqual(versions.map((v) => v.version), PG_MIGRATIONS.map((m) => m.version))
})

test('postgres: a schema newer than the binary refuses to open, naming both versions', { skip }, async () => {
  const schema = testSchema()
  await (await openPostgresStore({ url: PG_TEST_URL, schema })).close()
  await adminQuery(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)`)
  const newest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version
  await assert.rejects(openPostgresStore({ url: PG_TEST_URL, schema }), (err: Error) => {
    assert.equal(err.name, 'StoreOpenError')
    assert.match(err.message, new RegExp(`schema version 99 is newer than this binary knows \\(${newest}\\)`))
    return true
  })
})

test('postgres: guards hold across two stores on one database (replicas), enforced by the database', { skip }, async (t) => {
  const schema = testSchema()
  const a = await openPostgresStore({ url: PG_TEST_URL, schema })
  const b = await openPostgresStore({ url: PG_TEST_URL, schema })
  t.after(() => Promise.all([a.close(), b.close()]))
  await a.write([{ op: 'tenant_insert', tenant: { tenantId: T, name: 't', createdAtMs: 1 } }])
  await a.write([{ op: 'token_insert', token: { jti: 'j1', tenantId: T, requestId: 'r', agentId: 'bot', toolName: 'x', kid: 'k', expSeconds: 9, mintedAtMs: 1 } }])
  const burn = (s: Store) => s.write([{ op: 'token_burn', jti: 'j1', callerTenant: T, agentId: 'bot', expSeconds: 9, atMs: 2 }])
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => burn(i % 2 === 0 ? a : b)))
  assert.equal(results.filter((r) => r.ok).length, 1, 'a token burns exactly once across replicas')
  for (const r of results.filter((x) => !x.ok)) assert.deepEqual(r, { ok: false, failedOp: 0, opName: 'token_burn', refusal: { code: 'token_replayed', lockReason: null } })
  // A review decided exactly once, by whichever replica's conditional update commits first.
  const pending = clearanceFixture(T, 'rev', 1)
  await a.write([{ op: 'clearance_insert', clearance: pending }])
  const decided = await Promise.all(
    [a, b, a, b].map((s, i) =>
      s.write([{ op: 'clearance_update', clearance: { ...pending, status: i % 2 === 0 ? 'approved' : 'denied', reviewState: 'approved' }, expectStatus: 'pending_review' }]),
    ),
  )
  assert.equal(decided.filter((r) => r.ok).length, 1)
  // A lockdown committed through one replica refuses the other replica's next burn and mint.
  await b.write([{ op: 'agent_lock_put', lock: { tenantId: T, agentId: 'bot', locked: true, actor: 'ops', reason: 'drift', changedAtMs: 3 } }])
  assert.deepEqual(await a.write([{ op: 'token_burn', jti: 'j2', callerTenant: T, agentId: 'bot', expSeconds: 9, atMs: 4 }]), {
    ok: false, failedOp: 0, opName: 'token_burn', refusal: { code: 'agent_locked', lockReason: 'drift' },
  })
  const mint = await a.write([{ op: 'token_insert', token: { jti: 'j3', tenantId: T, requestId: 'r3', agentId: 'bot', toolName: 'x', kid: 'k', expSeconds: 9, mintedAtMs: 5 } }])
  assert.deepEqual(mint, { ok: false, failedOp: 0, opName: 'token_insert', refusal: { code: 'agent_locked', lockReason: 'drift' } })
})

test('postgres: writes queued in one turn share one transaction; a failing caller does not fail the others', { skip }, async (t) => {
  const store = await openPostgresStore({ url: PG_TEST_URL, schema: testSchema() })
  t.after(() => store.close())
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: T, name: 't', createdAtMs: 1 } }])
  const before = store.commitCount
  const writes = Array.from({ length: 300 }, (_, i) => store.write([{ op: 'burn', jti: `b${i % 299}`, tenantId: T, agentId: 'a', expSeconds: 1, atMs: 1 }]))
  const results = await Promise.all(writes)
  assert.equal(store.commitCount - before, 1, 'one COMMIT for the whole turn')
  assert.equal(results.filter((r) => r.ok).length, 299, 'the duplicate burn alone failed')
  assert.deepEqual(store.stats().writes >= 300, true)
})

test('postgres: a replica waiting for another one\'s migration is not cut by statement_timeout', { skip }, async (t) => {
  const pgMod = (await import('pg')).default
  const holder = new pgMod.Client({ connectionString: PG_TEST_URL })
  await holder.connect()
  t.after(() => holder.end())
  // Another replica is migrating: it holds the migration lock longer than this one's statement_timeout.
  await holder.query('SELECT pg_advisory_lock(20, 1)')
  const opening = openPostgresStore({ url: PG_TEST_URL, schema: testSchema(), statementTimeoutMs: 150 })
  await new Promise((r) => setTimeout(r, 600))
  await holder.query('SELECT pg_advisory_unlock(20, 1)')
  const store = await opening
  t.after(() => store.close())
  assert.equal((await store.write([{ op: 'tenant_insert', tenant: { tenantId: T, name: 't', createdAtMs: 1 } }])).ok, true)
})
