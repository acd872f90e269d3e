// Issue 16, class 5: admin operations are atomic store operations. Concurrent tenant creates of one id
// yield exactly one 201 (the rest 409 tenant_exists, never 500); concurrent rotations leave exactly one
// active signing key (each answers 200 or 409 key_ring_changed); `keys revoke` and `apikeys revoke` run
// by the CLI on a running Vault's data dir reach it within KEY_RING_POLL_MS (1 s; asserted with slack).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../helpers/cli-in-process.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { eventually, spawnServe } from '../helpers/serve-process.ts'
import { ADMIN_KEY, call, startHarness } from '../vault/helpers.ts'

const admin = { 'x-admin-api-key': ADMIN_KEY }

const cli = runCli

test('store: tenant_insert is guarded (a duplicate is a refusal, not an exception); ifMissing makes it a no-op', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-tenant-'))
  const store = openSqliteStore({ path: join(dir, 'vault.db') })
  t.after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const tenant = { tenantId: 'acme' as TenantId, name: 'Acme', createdAtMs: 1 }
  const results = await Promise.all(Array.from({ length: 8 }, () => store.write([{ op: 'tenant_insert', tenant }])))
  assert.equal(results.filter((r) => r.ok).length, 1)
  assert.ok(results.every((r) => r.ok || r.opName === 'tenant_insert'))
  assert.equal((await store.write([{ op: 'tenant_insert', tenant: { ...tenant, name: 'other' }, ifMissing: true }])).ok, true)
  assert.equal((await store.getTenant(tenant.tenantId))?.name, 'Acme', 'ifMissing never overwrites')
})

test('20 concurrent POST /admin/tenants with one id → exactly one 201, the rest 409 tenant_exists', async (t) => {
  const h = await startHarness(t)
  const replies = await Promise.all(
    Array.from({ length: 20 }, () => call(h.base, 'POST', '/admin/tenants', { headers: admin, body: { tenant_id: 'race-co', name: 'Race' } })),
  )
  const statuses = replies.map((r) => r.status).sort()
  assert.deepEqual(statuses, [201, ...new Array(19).fill(409)])
  assert.ok(replies.filter((r) => r.status === 409).every((r) => r.body.code === 'tenant_exists'))
  const listed = (await call(h.base, 'GET', '/admin/tenants', { headers: admin })).body.tenants as Array<{ tenant_id: string }>
  assert.equal(listed.filter((x) => x.tenant_id === 'race-co').length, 1)
})

test('10 concurrent POST /admin/keys/rotate → each 200 or 409 key_ring_changed, exactly one active signing key after', async (t) => {
  const h = await startHarness(t)
  const replies = await Promise.all(Array.from({ length: 10 }, () => call(h.base, 'POST', '/admin/keys/rotate', { headers: admin })))
  for (const r of replies) {
    assert.ok(r.status === 200 || (r.status === 409 && r.body.code === 'key_ring_changed'), `${r.status} ${r.text}`)
  }
  assert.ok(replies.some((r) => r.status === 200))
  const keys = await h.server.context.store.listSigningKeys()
  const active = keys.filter((k) => k.retiredAtMs === null && k.revokedAtMs === null)
  assert.equal(active.length, 1, JSON.stringify(keys))
  assert.equal(h.server.context.keyRing.signer?.kid, active[0]!.kid)
  // Every key of a refused rotation left no record behind; the ring still mints.
  const listed = await call(h.base, 'GET', '/admin/keys', { headers: admin })
  assert.equal(listed.body.active_kid, active[0]!.kid)
})

test('CLI keys revoke and apikeys revoke on a running Vault\'s data dir reach it within the stated bound', { timeout: 60_000 }, async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ledgix-live-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const bootstrap = 'sk_test_live_revocation_bootstrap_key_0123456789abcdef'
  const yaml = `mode: vault-only
admin:
  listen: { host: 127.0.0.1, port: 0 }
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${data}
  admin_api_key: ${ADMIN_KEY}
routes: []
`
  const proc = await spawnServe(yaml, { env: { LEDGIX_BOOTSTRAP_API_KEY: bootstrap } })
  t.after(() => proc.stop())
  const policy = { policy_id: 'p', description: '', tools: ['echo'], rules: [{ id: 'ok', when: 'true', effect: 'allow', reason: 'fine' }] }
  assert.equal((await call(proc.vaultUrl, 'POST', '/register-policy', { key: bootstrap, body: policy })).status, 200)
  const approved = await call(proc.vaultUrl, 'POST', '/request-clearance', { key: bootstrap, body: { tool_name: 'echo', tool_args: {} } })
  assert.equal(approved.body.status, 'approved', approved.text)
  const token = approved.body.token as string
  const kid = (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid

  const revoked = await cli(['keys', 'revoke', kid, '--data', data])
  assert.equal(revoked.code, 0, revoked.err)
  // Bound: KEY_RING_POLL_MS = 1 s; 5 s of slack for a busy two-core machine. Without the poll it never happens.
  await eventually(async () => {
    const jwks = (await call(proc.vaultUrl, 'GET', '/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> }
    return !jwks.keys.some((k) => k.kid === kid)
  }, 6_000)
  const refused = await call(proc.vaultUrl, 'POST', '/consume-token', { key: bootstrap, body: { token } })
  assert.equal(refused.status, 401)
  assert.equal(refused.body.code, 'token_key_revoked')
  // The running Vault replaced the revoked signing key: it still approves, with a new kid.
  let last = ''
  await eventually(async () => {
    const again = await call(proc.vaultUrl, 'POST', '/request-clearance', { key: bootstrap, body: { tool_name: 'echo', tool_args: {} } })
    last = again.text
    if (again.body?.status !== 'approved') return false
    const header = JSON.parse(Buffer.from(String(again.body.token).split('.')[0]!, 'base64url').toString()) as { kid: string }
    return header.kid !== kid
  }, 6_000).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${last}`)
  })

  // API keys: a second key, revoked by the CLI, is refused at the running Vault's next request.
  const created = await cli(['apikeys', 'create', '--data', data, '--role', 'agent', '--env', 'test'])
  assert.equal(created.code, 0, created.err)
  const agentKey = /api key \(shown once, store it now\): (\S+)/.exec(created.out)![1]!
  const keyId = /created agent key (\S+)/.exec(created.out)![1]!
  assert.equal((await call(proc.vaultUrl, 'GET', '/reviews', { key: agentKey })).status, 200)
  assert.equal((await cli(['apikeys', 'revoke', keyId, '--data', data])).code, 0)
  const afterRevoke = await call(proc.vaultUrl, 'GET', '/reviews', { key: agentKey })
  assert.equal(afterRevoke.status, 401)
  assert.equal(afterRevoke.body.code, 'api_key_invalid')
})
