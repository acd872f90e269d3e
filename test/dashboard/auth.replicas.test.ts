// Two Vault replicas on one PostgreSQL schema: first-admin setup happens exactly once across both
// (the database's bootstrap row decides, not process memory), they share the CSRF key, and a session
// made on one replica is served and revoked on the other.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startVaultServer } from '../../src/vault/index.ts'
import { PG_TEST_URL, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'
import { call, vaultConfig } from '../vault/helpers.ts'
import { CHEAP_SCRYPT, GOOD_PASSWORD, browserCall } from './helpers.ts'

test('postgres: concurrent setups on two replicas → one 201; the session works on both replicas', { skip: skipWithoutPostgres }, async (t) => {
  const schema = testSchema()
  const pool = { max: 5, statementTimeoutMs: 30_000, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 }
  const replicas: Array<{ base: string; token: string }> = []
  for (let i = 0; i < 2; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), `ledgix-replica-${i}-`))
    const server = await startVaultServer({
      config: vaultConfig(dataDir, { store: { driver: 'postgres', url: PG_TEST_URL, schema, pool } }),
      dashboardAuth: { scrypt: CHEAP_SCRYPT, maxConcurrentHashes: 64 },
    })
    t.after(async () => {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    })
    replicas.push({ base: `http://127.0.0.1:${server.port}`, token: readFileSync(join(dataDir, 'setup-token'), 'utf8').trim() })
  }
  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, i) => {
      const r = replicas[i % 2]!
      return call(r.base, 'POST', '/ui/api/setup', { body: { setup_token: r.token, email: `admin${i}@example.com`, password: GOOD_PASSWORD }, headers: { origin: r.base } })
    }),
  )
  const statuses = answers.map((a) => a.status)
  assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses))
  assert.ok(answers.filter((a) => a.status !== 201).every((a) => a.body.code === 'setup_done'))
  const won = answers.findIndex((a) => a.status === 201)
  const cookie = (answers[won]!.headers['set-cookie'] as string).split(';')[0]!
  const csrf = answers[won]!.body.csrf_token as string
  const other = replicas[(won + 1) % 2]!
  // The other replica knows the session and accepts the same CSRF token (one key per store).
  const b = { base: other.base, cookie, csrf }
  assert.equal((await browserCall(b, 'GET', '/ui/api/session')).body.csrf_token, csrf)
  assert.equal((await browserCall(b, 'POST', '/users', { body: { email: 'v@example.com', role: 'viewer', password: GOOD_PASSWORD } })).status, 201)
  assert.equal((await browserCall(b, 'POST', '/ui/api/logout')).status, 204)
  assert.equal((await browserCall({ ...b, base: replicas[won % 2]!.base }, 'GET', '/ui/api/session')).body.user, null)
})
