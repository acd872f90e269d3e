// `vault_server.store.driver: postgres` end to end through the real CLI: `store status` / `store
// migrate` for operators, the Vault serving from PostgreSQL in vault-only and all-in-one modes (the
// URL from ${LEDGIX_DATABASE_URL}), data that outlives the process, and a start-up that fails with
// one clear sentence when the database cannot be reached.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PG_MIGRATIONS } from '../../src/store/index.ts'
import { send } from '../helpers/http-client.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import { spawnServe } from '../helpers/serve-process.ts'

const BIN = resolve(import.meta.dirname, '../../bin/ledgix-gateway.mjs')
const NEWEST = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version

function storeYaml(schema: string): string {
  return `  store:\n    driver: postgres\n    url: \${LEDGIX_DATABASE_URL}\n    schema: ${schema}\n    pool: { max: 4, connect_timeout: 3s }\n`
}
function vaultOnly(dataDir: string, schema: string): string {
  return `mode: vault-only\nadmin:\n  listen: { host: 127.0.0.1, port: 0 }\nvault_server:\n  listen: { host: 127.0.0.1, port: 0 }\n  data_dir: ${dataDir}\n${storeYaml(schema)}`
}
function allInOne(dataDir: string, schema: string): string {
  return `mode: all-in-one\ngateway:\n  listen: { host: 127.0.0.1, port: 0 }\nadmin:\n  listen: { host: 127.0.0.1, port: 0 }\nvault_server:\n  listen: { host: 127.0.0.1, port: 0 }\n  data_dir: ${dataDir}\n${storeYaml(schema)}routes: []\n`
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', LEDGIX_DATABASE_URL: PG_TEST_URL, ...env }, timeout: 30_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

test('store status / migrate: behind → migrated → up to date; a newer schema is named', { skip: skipWithoutPostgres }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-pg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const schema = testSchema()
  const file = join(dir, 'gateway.yaml')
  writeFileSync(file, vaultOnly(join(dir, 'data'), schema))
  const before = cli(['store', 'status', '-c', file])
  assert.equal(before.status, 1, before.out)
  assert.match(before.out, new RegExp(`schema ${schema}: version 0, this binary knows ${NEWEST}: behind: run "ledgix-gateway store migrate`))
  const migrated = cli(['store', 'migrate', '-c', file])
  assert.equal(migrated.status, 0, migrated.out)
  assert.match(migrated.out, new RegExp(`schema ${schema}: applied version (\\d+, )*${NEWEST}; now at version ${NEWEST}`))
  assert.match(cli(['store', 'migrate', '-c', file]).out, /already at version \d+, nothing to apply/)
  const after = cli(['store', 'status', '-c', file])
  assert.equal(after.status, 0, after.out)
  assert.match(after.out, /up to date/)
  await adminQuery(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (${NEWEST + 1}, 'future', 0)`)
  const newer = cli(['store', 'migrate', '-c', file])
  assert.equal(newer.status, 1)
  assert.match(newer.out, new RegExp(`store schema version ${NEWEST + 1} is newer than this binary knows \\(${NEWEST}\\)`))
  // serve refuses to start on it, with the same sentence.
  const served = await spawnServe(vaultOnly(join(dir, 'data'), schema), { expectReady: false, env: { LEDGIX_DATABASE_URL: PG_TEST_URL } })
  t.after(() => served.stop())
  assert.equal(await served.exited, 1)
  assert.match(served.stderr(), new RegExp(`store schema version ${NEWEST + 1} is newer than this binary knows \\(${NEWEST}\\)`))
})

test('serve with driver postgres: vault-only, then all-in-one on the same database; data outlives the process', { skip: skipWithoutPostgres }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-pg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const schema = testSchema()
  const env = { LEDGIX_DATABASE_URL: PG_TEST_URL, LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_pg_key' }
  const vault = await spawnServe(vaultOnly(join(dir, 'data'), schema), { env })
  t.after(() => vault.stop())
  assert.equal((await send(`${vault.vaultUrl}/reviews`, { headers: { 'x-vault-api-key': 'sk_test_pg_key' } })).status, 200)
  assert.equal((await send(`${vault.adminUrl}/readyz`)).status, 200)
  const keys = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.api_keys`)
  assert.equal(keys[0]!.n, 1, 'the bootstrap key lives in PostgreSQL')
  vault.child.kill('SIGTERM')
  assert.equal(await vault.exited, 0)

  // No bootstrap key now: the key above authenticates only because the database kept it.
  const aio = await spawnServe(allInOne(join(dir, 'data2'), schema), { env: { LEDGIX_DATABASE_URL: PG_TEST_URL } })
  t.after(() => aio.stop())
  assert.ok(aio.gatewayUrl !== '')
  assert.equal((await send(`${aio.vaultUrl}/reviews`, { headers: { 'x-vault-api-key': 'sk_test_pg_key' } })).status, 200)
  assert.equal((await send(`${aio.vaultUrl}/reviews`, { headers: { 'x-vault-api-key': 'sk_test_wrong' } })).status, 401)
})

test('serve with driver postgres: an unreachable database fails the start with one clear sentence', async (t) => {
  const closed = createServer()
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
  const port = (closed.address() as AddressInfo).port
  await new Promise((r) => closed.close(r))
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-pg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const proc = await spawnServe(vaultOnly(join(dir, 'data'), 'public'), { expectReady: false, env: { LEDGIX_DATABASE_URL: `postgres://ledgix:s3cret@127.0.0.1:${port}/ledgix` } })
  t.after(() => proc.stop())
  assert.equal(await proc.exited, 1)
  assert.match(proc.stderr(), new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused`))
  assert.doesNotMatch(proc.stderr(), /s3cret/)
})
