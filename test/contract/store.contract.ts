// The Store contract, written once and run against every driver (test/store/sqlite-store.test.ts and
// test/store/postgres-store.test.ts each run it on their own fresh stores):
// atomic guarded writes, exactly-once burns under concurrency, tenant scoping, paging, durability.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ApiKeyId, TenantId } from '../../src/core/index.ts'
import type { ClearanceRecord, Store } from '../../src/store/index.ts'

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<Store>
  /** The same store reopened after close() (durability). */
  reopen(store: Store): Promise<Store>
}

const T1 = 'tenant-one' as TenantId
const T2 = 'tenant-two' as TenantId

export function clearanceFixture(tenantId: TenantId, requestId: string, createdAtMs: number, status: ClearanceRecord['status'] = 'pending_review'): ClearanceRecord {
  return {
    tenantId, requestId, kind: 'clearance', status,
    decisionStatus: status === 'pending_review' ? 'approved_pending_review' : status === 'processing' ? null : status,
    token: null, jti: null, reason: 'r', reasonCode: null, confidence: 0.5, confidenceBucket: 'medium',
    minimumConfidenceScore: 0.8, minimumConfidenceBucket: 'high', policyId: 'p', policyVersionId: null,
    policyContentHash: null, toolName: 'tool', toolArgs: { a: 1 }, toolArgsHash: 'sha256:00', agentId: 'agent',
    sessionId: '', context: {}, matchedRuleIds: [], reviewState: status === 'pending_review' ? 'pending' : null,
    reviewExpiresAtMs: null, reviewer: null, reviewReason: null, decidedByKeyId: null, decidedByRole: null, decisionChannel: null, parentRequestId: null, createdAtMs, updatedAtMs: createdAtMs,
  }
}

export function describeStoreContract(driver: string, factory: StoreFactory): void {
  async function fresh(t: { after(fn: () => Promise<void>): void }): Promise<Store> {
    const store = await factory.open()
    await store.write([
      { op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } },
      { op: 'tenant_insert', tenant: { tenantId: T2, name: 'two', createdAtMs: 2 } },
    ])
    t.after(() => store.close())
    return store
  }

  test(`${driver}: 100 concurrent burns of one jti → exactly one succeeds`, async (t) => {
    const store = await fresh(t)
    const burns = Array.from({ length: 100 }, () =>
      store.write([{ op: 'burn', jti: 'jti-storm', tenantId: T1, agentId: 'a', expSeconds: 10, atMs: 5 }]),
    )
    const results = await Promise.all(burns)
    assert.equal(results.filter((r) => r.ok).length, 1)
    assert.deepEqual(results.find((r) => !r.ok), { ok: false, failedOp: 0, opName: 'burn' })
    assert.equal(await store.isBurned('jti-storm'), true)
  })

  test(`${driver}: a failed guard rolls back that caller's earlier ops only`, async (t) => {
    const store = await fresh(t)
    await store.write([{ op: 'burn', jti: 'used', tenantId: T1, agentId: 'a', expSeconds: 10, atMs: 5 }])
    const token = { jti: 'tok-1', tenantId: T1, requestId: 'r1', agentId: 'a', toolName: 't', kid: 'k', expSeconds: 9, mintedAtMs: 1 }
    const [failed, other] = await Promise.all([
      store.write([{ op: 'token_insert', token }, { op: 'burn', jti: 'used', tenantId: T1, agentId: 'a', expSeconds: 10, atMs: 6 }]),
      store.write([{ op: 'token_insert', token: { ...token, jti: 'tok-2' } }]),
    ])
    assert.equal(failed.ok, false)
    assert.equal(other.ok, true)
    assert.equal(await store.getToken('tok-1'), null, 'rolled back with the failed guard')
    assert.equal((await store.getToken('tok-2'))?.requestId, 'r1')
  })

  test(`${driver}: clearances are tenant-scoped; updates are exactly-once transitions`, async (t) => {
    const store = await fresh(t)
    const c = clearanceFixture(T1, 'req-1', 10)
    assert.equal((await store.write([{ op: 'clearance_insert', clearance: c }])).ok, true)
    assert.equal((await store.write([{ op: 'clearance_insert', clearance: c }])).ok, false, 'duplicate request id')
    assert.equal(await store.getClearance(T2, 'req-1'), null, 'other tenant sees nothing')
    const approved = { ...c, status: 'approved' as const, decisionStatus: 'approved' as const, reviewState: 'approved' as const }
    const both = await Promise.all([
      store.write([{ op: 'clearance_update', clearance: approved, expectStatus: 'pending_review' }]),
      store.write([{ op: 'clearance_update', clearance: { ...approved, status: 'denied', decisionStatus: 'denied' }, expectStatus: 'pending_review' }]),
    ])
    assert.deepEqual(both.map((r) => r.ok), [true, false])
    assert.equal((await store.getClearance(T1, 'req-1'))?.status, 'approved')
    assert.equal((await store.write([{ op: 'clearance_update', clearance: approved, expectStatus: 'pending_review' }])).ok, false)
  })

  test(`${driver}: review listing pages by (created_at, request_id) within one tenant`, async (t) => {
    const store = await fresh(t)
    const ops = []
    for (let i = 0; i < 5; i++) ops.push({ op: 'clearance_insert' as const, clearance: clearanceFixture(T1, `r${i}`, 100 + (i >> 1)) })
    ops.push({ op: 'clearance_insert' as const, clearance: clearanceFixture(T2, 'other', 100) })
    await store.write(ops)
    const page1 = await store.listClearances(T1, { status: 'pending_review', limit: 3, after: null })
    assert.deepEqual(page1.map((c) => c.requestId), ['r0', 'r1', 'r2'])
    const last = page1[2]!
    const page2 = await store.listClearances(T1, { status: 'pending_review', limit: 3, after: { createdAtMs: last.createdAtMs, requestId: last.requestId } })
    assert.deepEqual(page2.map((c) => c.requestId), ['r3', 'r4'])
  })

  test(`${driver}: token_burn checks tenant, lockdown and replay inside the burn, in that order`, async (t) => {
    const store = await fresh(t)
    const token = { jti: 'minted', tenantId: T1, requestId: 'r', agentId: 'bot', toolName: 'tool', kid: 'k', expSeconds: 10, mintedAtMs: 1 }
    await store.write([{ op: 'token_insert', token }])
    const burn = (jti: string, callerTenant: TenantId | null, agentId = 'bot') =>
      store.write([{ op: 'token_burn', jti, callerTenant, agentId, expSeconds: 10, atMs: 5 }])
    assert.deepEqual(await burn('minted', T2), { ok: false, failedOp: 0, opName: 'token_burn', refusal: { code: 'token_wrong_tenant', lockReason: null } })
    const lock = { tenantId: T1, agentId: 'bot', locked: true, actor: 'ops', reason: 'drift', changedAtMs: 2 }
    // The lock and the burn in one batch: the burn reads what the transaction wrote before it.
    const [locked, refused] = await Promise.all([store.write([{ op: 'agent_lock_put', lock }]), burn('minted', T1)])
    assert.equal(locked.ok, true)
    assert.deepEqual(refused, { ok: false, failedOp: 0, opName: 'token_burn', refusal: { code: 'agent_locked', lockReason: 'drift' } })
    assert.equal(await store.isBurned('minted'), false, 'a refused burn burns nothing')
    assert.deepEqual(await burn('minted', T2), { ok: false, failedOp: 0, opName: 'token_burn', refusal: { code: 'token_wrong_tenant', lockReason: null } }, 'tenant before lockdown')
    await store.write([{ op: 'agent_lock_put', lock: { ...lock, locked: false, changedAtMs: 3 } }])
    assert.deepEqual(await burn('minted', null), { ok: true }, 'in-process: the mint record names the tenant')
    assert.deepEqual(await burn('minted', T1), { ok: false, failedOp: 0, opName: 'token_burn', refusal: { code: 'token_replayed', lockReason: null } })
    // Minted elsewhere (no mint record): burned under the caller's tenant, whose locks apply.
    await store.write([{ op: 'agent_lock_put', lock: { ...lock, tenantId: T2, changedAtMs: 4 } }])
    assert.equal((await burn('foreign', T2)).ok, false)
    assert.deepEqual(await burn('foreign', T1), { ok: true })
    assert.equal((await burn('elsewhere', null)).ok, true, "no caller, no mint record: tenant '*'")
    const storm = await Promise.all(Array.from({ length: 50 }, () => burn('storm', T1)))
    assert.equal(storm.filter((r) => r.ok).length, 1, 'exactly one of concurrent burns wins')
  })

  test(`${driver}: reads see every acknowledged write at once (API key revocation, settings, locks)`, async (t) => {
    const store = await fresh(t)
    const key = { keyId: 'key-c' as ApiKeyId, tenantId: T1, keyHash: 'cc', prefix: 'sk_test_cc', role: 'agent' as const, name: 'n', createdAtMs: 1, revokedAtMs: null, lastUsedAtMs: null }
    assert.equal(await store.findApiKeyByHash('cc'), null)
    await store.write([{ op: 'api_key_insert', key }])
    assert.equal((await store.findApiKeyByHash('cc'))?.revokedAtMs, null)
    store.touchApiKey(key.keyId, 50)
    assert.equal((await store.findApiKeyByHash('cc'))?.lastUsedAtMs, 50)
    await store.write([{ op: 'api_key_revoke', tenantId: T1, keyId: key.keyId, atMs: 60 }])
    assert.equal((await store.findApiKeyByHash('cc'))?.revokedAtMs, 60)
    assert.equal(await store.getSettings(T1, 'review'), null)
    await store.write([{ op: 'settings_put', tenantId: T1, kind: 'review', valueJson: '{"a":1}', atMs: 1 }])
    assert.equal(await store.getSettings(T1, 'review'), '{"a":1}')
    assert.equal(await store.getSettings(T2, 'review'), null, 'settings are per tenant')
    assert.equal(await store.getAgentLock(T1, 'bot'), null)
    await store.write([{ op: 'agent_lock_put', lock: { tenantId: T1, agentId: 'bot', locked: true, actor: 'a', reason: 'r', changedAtMs: 1 } }])
    assert.equal((await store.getAgentLock(T1, 'bot'))?.locked, true)
    await store.write([{ op: 'agent_lock_put', lock: { tenantId: T1, agentId: 'bot', locked: false, actor: 'a', reason: '', changedAtMs: 2 } }])
    assert.equal((await store.getAgentLock(T1, 'bot'))?.locked, false)
  })

  test(`${driver}: idempotency records are unique per (tenant, route, key)`, async (t) => {
    const store = await fresh(t)
    const rec = { tenantId: T1, route: '/mint-token', key: 'k1', bodyHash: 'h', requestId: null, statusCode: 200, responseJson: '{}', createdAtMs: 1 }
    assert.equal((await store.write([{ op: 'idempotency_insert', record: rec }])).ok, true)
    assert.equal((await store.write([{ op: 'idempotency_insert', record: { ...rec, bodyHash: 'other' } }])).ok, false)
    assert.equal((await store.write([{ op: 'idempotency_insert', record: { ...rec, tenantId: T2 } }])).ok, true)
    assert.equal((await store.getIdempotency(T1, '/mint-token', 'k1'))?.bodyHash, 'h')
  })

  test(`${driver}: acknowledged writes survive close and reopen; last-used times reach disk`, async (t) => {
    let store = await factory.open()
    await store.write([{ op: 'tenant_insert', tenant: { tenantId: T1, name: 'one', createdAtMs: 1 } }])
    const key = { keyId: 'key-1' as ApiKeyId, tenantId: T1, keyHash: 'ab', prefix: 'sk_test_ab', role: 'agent' as const, name: 'n', createdAtMs: 1, revokedAtMs: null, lastUsedAtMs: null }
    await store.write([{ op: 'api_key_insert', key }, { op: 'burn', jti: 'j', tenantId: T1, agentId: 'a', expSeconds: 1, atMs: 1 }])
    store.touchApiKey(key.keyId, 777)
    store = await factory.reopen(store)
    t.after(() => store.close())
    assert.equal(await store.isBurned('j'), true)
    assert.equal((await store.findApiKeyByHash('ab'))?.lastUsedAtMs, 777)
    assert.equal((await store.write([{ op: 'api_key_revoke', tenantId: T2, keyId: key.keyId, atMs: 5 }])).ok, false, 'cross-tenant revoke')
    assert.equal((await store.write([{ op: 'api_key_revoke', tenantId: T1, keyId: key.keyId, atMs: 5 }])).ok, true)
    assert.equal((await store.write([{ op: 'api_key_revoke', tenantId: T1, keyId: key.keyId, atMs: 6 }])).ok, false, 'already revoked')
  })
}
