// Start-up and durability behaviour: the bootstrap key, the environment signing key, the persisted
// canonical_version 3 decision event, interrupted evaluations failed closed at restart, and 503
// overloaded with Retry-After when the durable write queue is full.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeProtectedHeader } from 'jose'
import { LedgixError } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import { createVaultServer } from '../../src/vault/index.ts'
import { EmbeddedVaultReadiness } from '../../src/cli/serve-vault.ts'
import { GatewayMetrics, closeServer, createAdminServer, createRootLogger, listen } from '../../src/observability/index.ts'
import { clearanceFixture } from '../contract/store.contract.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { call, registerPayments, startHarness, vaultConfig } from './helpers.ts'

test('LEDGIX_BOOTSTRAP_API_KEY seeds the default tenant\'s admin key on an empty store only', async (t) => {
  const data = tempDir(t)
  const first = await createVaultServer({ config: vaultConfig(data, { bootstrapApiKey: 'sk_live_bootstrap_0001' }) })
  const port = await first.listen()
  const res = await call(`http://127.0.0.1:${port}`, 'GET', '/review-settings', { key: 'sk_live_bootstrap_0001' })
  assert.equal(res.status, 200)
  await first.close()
  const second = await createVaultServer({ config: vaultConfig(data, { bootstrapApiKey: 'sk_live_other_0002' }) })
  const keys = await second.context.store.listApiKeys('default' as TenantId)
  await second.close()
  assert.equal(keys.length, 1, 'a non-empty store is never re-seeded')
})

test('a signing key from the environment signs tokens under its kid', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const h = await startHarness(t, { config: { signingKey: { kid: 'env-key-1', pem } } })
  await registerPayments(h)
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'create_stripe_payment', tool_args: { amount: 1 } } })
  assert.equal(decodeProtectedHeader(res.body.token).kid, 'env-key-1')
  const jwks = (await call(h.base, 'GET', '/.well-known/jwks.json')).body
  assert.ok(jwks.keys.some((k: { kid: string }) => k.kid === 'env-key-1'))
})

test('every terminal decision persists the full v3 event in the decision\'s transaction', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const res = await call(h.base, 'POST', '/request-clearance', {
    key: h.keys.agent,
    body: { tool_name: 'create_stripe_payment', tool_args: { amount: 12, customer_id: 'c' }, agent_id: 'a1', context: { policy_id: 'payments-prod' } },
  })
  const [event] = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 10)
  assert.ok(event)
  assert.equal(event.requestId, res.body.request_id)
  assert.equal(event.canonicalVersion, 3)
  assert.deepEqual(event.toolArgs, { amount: 12, customer_id: 'c' })
  assert.equal(event.approved, true)
  assert.equal(event.decisionStatus, 'approved')
  assert.equal(event.confidence, 0.95, 'bucket midpoint (spec §7.2)')
  assert.match(event.intentHash, /^[0-9a-f]{64}$/)
  assert.equal(event.ruleSetHash, res.body.policy_content_hash)
  assert.deepEqual(event.matchedRuleIds, ['payments-prod/small-allow'])
  assert.match(event.evalInputsHash, /^[0-9a-f]{64}$/)
  assert.match(event.acceptedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
})

test('a restart fails interrupted (processing) decisions closed: denied and ledgered', async (t) => {
  const data = tempDir(t)
  const store = openSqliteStore({ path: join(data, 'vault.db') })
  const tenant = 'tenant-x' as TenantId
  await store.write([
    { op: 'tenant_insert', tenant: { tenantId: tenant, name: 'x', createdAtMs: 1 } },
    { op: 'clearance_insert', clearance: clearanceFixture(tenant, 'stuck-1', 1, 'processing') },
  ])
  await store.close()
  const server = await createVaultServer({ config: vaultConfig(data) })
  t.after(() => server.close())
  const row = await server.context.store.getClearance(tenant, 'stuck-1')
  assert.deepEqual([row?.status, row?.decisionStatus, row?.reasonCode], ['denied', 'denied', 'evaluation_interrupted'])
  assert.equal((await server.context.store.listDecisionEvents(tenant, 0, 10)).length, 1)
})

test('a full durable write queue answers 503 overloaded with Retry-After; the next request succeeds', async (t) => {
  // The queue bound itself is proven in test/store; here: how the API answers the pushback.
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db') })
  t.after(() => store.close())
  let refuse = false
  const pushback = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (ops: Parameters<typeof store.write>[0]) =>
          refuse ? Promise.reject(new LedgixError('overloaded', 'the durable write queue is full; retry shortly')) : target.write(ops)
      }
      const value = Reflect.get(target, prop, receiver) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  const h = await startHarness(t, { store: pushback })
  refuse = true
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal(res.status, 503)
  assert.equal(res.body.code, 'overloaded')
  assert.equal(res.headers['retry-after'], '1')
  refuse = false
  assert.equal((await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })).status, 200)
})

test('policies_dir: YAML policies load at start for every tenant; a tenant registration with the same id overrides', async (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, 'payments.yaml'),
    [
      'policy_id: payments-file',
      'description: from a file',
      'tools: [create_stripe_payment]',
      'rules:',
      '  - id: small',
      '    description: small payments',
      '    when: double(tool_args.amount) <= 100.0',
      '    effect: allow',
      '    reason: Small payment.',
      '',
    ].join('\n'),
  )
  const h = await startHarness(t, { config: { policiesDir: dir } })
  const body = { tool_name: 'create_stripe_payment', tool_args: { amount: 50 } }
  for (const key of [h.keys.agent, h.keys.bAgent]) {
    const res = await call(h.base, 'POST', '/request-clearance', { key, body })
    assert.equal(res.body.decision_status, 'approved')
    assert.match(res.body.policy_version_id, /^file:payments-file@/)
  }
  const override = { policy_id: 'payments-file', rules: [{ id: 'no', description: '', when: 'true', effect: 'deny', reason: 'Tenant A says no.' }] }
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: override })).status, 200)
  assert.equal((await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body })).body.decision_status, 'denied')
  assert.equal((await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body })).body.decision_status, 'approved')
})

test('a broken policies_dir file stops start-up with the file and rule named', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'bad.yaml'), 'policy_id: bad\nrules:\n  - id: r\n    description: x\n    when: "tool_args.amount >"\n    effect: allow\n    reason: r\n')
  await assert.rejects(createVaultServer({ config: vaultConfig(tempDir(t), { policiesDir: dir }) }), /policies_dir: .*bad\.yaml.*rules\[0\]\.when/)
})

test('a failed WAL fsync fails the store closed: the burn it covered and every later write answer 503 vault_unavailable', async (t) => {
  // The ordering and bookkeeping (the burns a failed sync covered are refused) are proven in
  // test/store/deferred-sync.test.ts; here: what the API says once the store has failed. Clearances
  // commit at synchronous=FULL (no deferred sync); two burns written in one turn are the first batch
  // that waits for an fdatasync, and that one reports EIO.
  const failures: Error[] = []
  const store = openSqliteStore({
    path: join(tempDir(t), 'vault.db'),
    walSync: (_fd, done) => setImmediate(done, Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
    onFailure: (err) => failures.push(err),
  })
  t.after(() => store.close())
  const h = await startHarness(t, { store, config: { defaultEffect: 'allow' } })
  // The readiness `serve` gives the admin listener for an embedded Vault (all-in-one, vault-only).
  const readiness = new EmbeddedVaultReadiness(h.server)
  const admin = createAdminServer({ metrics: new GatewayMetrics(), readiness, logger: createRootLogger({ level: 'silent' }) })
  const adminPort = (await listen(admin, '127.0.0.1', 0)).port
  t.after(() => closeServer(admin))
  const readyz = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`)
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  assert.equal((await readyz()).status, 200, 'ready before the failure')
  const cleared = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal(cleared.status, 200)
  assert.equal(typeof cleared.body.token, 'string', JSON.stringify(cleared.body))
  const burn = (jti: string) => store.write([{ op: 'token_burn', jti, callerTenant: h.tenantA, agentId: 'a', expSeconds: 4_000_000_000, atMs: 1 }])
  const refused = await Promise.allSettled([burn('0193ffff-0001'), burn('0193ffff-0002')])
  assert.deepEqual(refused.map((r) => r.status), ['rejected', 'rejected'])
  assert.equal(failures.length, 1)
  const consumed = await call(h.base, 'POST', '/consume-token', { key: h.keys.agent, body: { token: cleared.body.token } })
  assert.equal(consumed.status, 503)
  assert.equal(consumed.body.code, 'vault_unavailable')
  assert.match(String(consumed.body.detail), /EIO/)
  assert.notEqual(store.failure, null)
  const after = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'ping' } })
  assert.equal(after.status, 503)
  assert.equal(after.body.code, 'vault_unavailable')
  const notReady = await readyz()
  assert.equal(notReady.status, 503, 'a load balancer takes the failed Vault out of rotation')
  assert.equal(notReady.body['reason'], 'store_failed')
  readiness.closing = true
  assert.equal((await readyz()).body['reason'], 'draining', 'shutdown is reported first')
})
